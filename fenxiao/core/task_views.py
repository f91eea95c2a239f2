"""Platform staff see the background queue: depth and age per queue, failed tasks with their
error and a retry button, and the timers (``/platform/tasks/``)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fenxiao.accounts.decorators import platform_staff

from . import relay
from .models import EntryStatus, OutboxEntry, TimerState

PAGE_SIZE = 50


@platform_staff
def tasks(request: HttpRequest) -> HttpResponse:
    failed = OutboxEntry.objects.filter(status=EntryStatus.DEAD).order_by("-finished_at", "-id")
    queue = request.GET.get("queue", "")
    if queue:
        failed = failed.filter(queue=queue)
    page = Paginator(failed, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "core/tasks.html",
        {
            "stats": sorted(relay.queue_stats().items(), key=lambda item: -relay.QUEUES.get(item[0], 0)),
            "page": page,
            "queue": queue,
            "timers": TimerState.objects.order_by("name"),
        },
    )


@platform_staff
@require_POST
def retry(request: HttpRequest, entry_id: int) -> HttpResponse:
    if relay.retry(entry_id):
        messages.success(request, _("Task #%(id)s queued again.") % {"id": entry_id})
    else:
        messages.error(request, _("Task #%(id)s is not a failed task (already retried?).") % {"id": entry_id})
    return redirect("platform:tasks")
