"""The benchmark's additions to the Oscar shop: a trivial authenticated endpoint (the twin of
fenxiao's ``/ping``), a readiness probe, and a payment step that completes at once."""

from decimal import Decimal

from django.db import connection
from django.http import HttpResponse, JsonResponse
from oscar.apps.checkout.views import PaymentDetailsView
from oscar.apps.payment.models import Source, SourceType


def ping(request):
    """Session, user, JSON — what fenxiao's ``GET /ping`` does."""
    if not request.user.is_authenticated:
        return JsonResponse({"detail": "sign in"}, status=401)
    return JsonResponse({"user": request.user.pk})


def readyz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok")


_source_type: list[SourceType] = []


class InstantPaymentDetailsView(PaymentDetailsView):
    """Oscar's preview / place-order step with a dummy payment that is taken at once: the order's
    payment source is recorded as allocated and debited in full (one row, like fenxiao's payment
    row), no gateway is called."""

    def handle_payment(self, order_number, total, **kwargs):
        if not _source_type:  # read once per process
            _source_type.append(SourceType.objects.get_or_create(name="Bench instant payment")[0])
        source_type = _source_type[0]
        amount = total.incl_tax if total.is_tax_known else Decimal(total.excl_tax)
        source = Source(
            source_type=source_type,
            currency=total.currency,
            amount_allocated=amount,
            amount_debited=amount,
            reference=order_number,
        )
        self.add_payment_source(source)
