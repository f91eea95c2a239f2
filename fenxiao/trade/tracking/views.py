"""Kuaidi100's subscribe callback: a server-to-server receiver, trusted only by its signature."""

from __future__ import annotations

import logging

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import TrackingError
from .kuaidi100 import callback_answer
from .services import record_callback

log = logging.getLogger("fenxiao.trade.tracking")


@csrf_exempt
@require_POST
def kuaidi100_callback(request: HttpRequest) -> JsonResponse:
    try:
        record_callback(request.POST.get("param", ""), request.POST.get("sign", ""))
    except (TrackingError, ValueError, KeyError) as exc:
        log.warning("kuaidi100 callback refused: %s", exc)
        return JsonResponse(callback_answer(False, str(exc)), status=400)
    return JsonResponse(callback_answer(True))
