"""Payment writes.  State changes lock the Payment row, so duplicate or out-of-order
notifications, the consumer's return and a query racing each other apply a success once."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from fenxiao.core import clock

from . import secrets_box
from .gateways.base import InvalidNotification, PaymentAction
from .models import (
    BrandPaymentSetting,
    FundsFlow,
    NotificationLog,
    Payment,
    PaymentStatus,
    Refund,
    RefundStatus,
    Transfer,
    TransferStatus,
    WechatIdentity,
)
from .partner_models import PARTNER_GATEWAY
from .purposes import handler_for
from .registry import default_gateway_name, gateway_for_brands, get_gateway
from .selectors import brand_payment_facts

log = logging.getLogger("fenxiao.payments")
REFUND_POLL_AFTER = timedelta(minutes=5)


class PaymentError(ValidationError):
    pass


def create_payment(
    *,
    payer,
    amount: int,
    purpose: str,
    reference: str,
    description: str,
    gateway: str | None = None,
    expires_at: datetime | None = None,
    brand_ids: Iterable[int] = (),
    brand_amounts: Mapping[int, int] | None = None,
    pk: int | None = None,
) -> Payment:
    """``pk``: the id the payment is to have, when the caller reserved it from the payments'
    sequence (the checkout's row points at it already).  ``brand_ids``: the brands whose goods are paid for (their gateway choice applies when they
    agree); ``brand_amounts`` (brand id → fen): each brand's part, needed when the brands are on the
    service-provider funds flow (then the payment goes to their sub-merchants).

    Everything that can refuse is checked before the first write.  The common payment is ONE
    INSERT, atomic by itself, so it opens no transaction (no savepoint inside the checkout's);
    only a payment with sub-orders (service-provider flow) writes several rows, in one
    transaction."""
    from . import profit_sharing

    if amount <= 0:
        raise PaymentError(_("Nothing to pay."))
    brand_ids = set(brand_ids) | set(brand_amounts or {})
    facts = brand_payment_facts(brand_ids)
    try:
        flow = profit_sharing.flow_for_brands(brand_ids, partner=facts.service_provider_brands)
    except profit_sharing.FundsFlowError as exc:
        raise PaymentError(str(exc)) from exc
    partner = flow == FundsFlow.SERVICE_PROVIDER and not gateway
    if partner and not brand_amounts:
        raise PaymentError("a payment to brands' sub-merchants needs each brand's part")
    fields = {
        "pk": pk,
        "payer": payer,
        "amount": amount,
        "purpose": purpose,
        "reference": reference,
        "description": description[:127],
        "expires_at": expires_at,
    }
    if not partner:
        return Payment.objects.create(
            **fields, gateway=gateway or gateway_for_brands(brand_ids, chosen=facts.chosen_gateways)
        )
    with transaction.atomic():
        payment = Payment.objects.create(**fields, gateway=PARTNER_GATEWAY)
        try:
            profit_sharing.create_sub_orders(payment, brand_amounts)
        except profit_sharing.FundsFlowError as exc:
            raise PaymentError(str(exc)) from exc
    return payment


def start_payment(
    payment: Payment,
    *,
    return_url: str,
    notify_url: str,
    client_ip: str = "",
    scene: str = "redirect",
    openid: str = "",
) -> PaymentAction:
    if payment.status != PaymentStatus.PENDING:
        raise PaymentError(
            _("This payment is no longer open (%(status)s).") % {"status": payment.get_status_display()}
        )
    return get_gateway(payment.gateway).start(
        payment, return_url=return_url, notify_url=notify_url, client_ip=client_ip, scene=scene, openid=openid
    )


def _apply_success(payment_id: int, *, amount: int, transaction_id: str, paid_at: datetime | None) -> Payment:
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    if payment.status == PaymentStatus.SUCCEEDED:
        return payment
    if amount != payment.amount:
        raise PaymentError(
            f"amount mismatch for {payment.out_trade_no}: provider says {amount}, expected {payment.amount}"
        )
    payment.status = PaymentStatus.SUCCEEDED
    payment.provider_transaction_id = transaction_id
    payment.paid_at = paid_at or clock.now()
    payment.save(update_fields=["status", "provider_transaction_id", "paid_at"])
    handler_for(payment.purpose).on_succeeded(payment)
    return payment


def handle_notification(gateway_name: str, headers: Mapping[str, str], body: bytes) -> tuple[int, str, str]:
    """Verify, log and apply a provider notification; answer as the provider expects."""
    gateway = get_gateway(gateway_name)
    try:
        notification = gateway.parse_notification(headers, body)
    except InvalidNotification as exc:
        NotificationLog.objects.create(
            gateway=gateway_name,
            verified=False,
            outcome=f"rejected: {exc}",
            body=body[:4000].decode(errors="replace"),
        )
        log.warning("rejected %s notification: %s", gateway_name, exc)
        return gateway.notification_response(False, str(exc))
    try:
        with transaction.atomic():
            try:
                with transaction.atomic():
                    entry = NotificationLog.objects.create(
                        gateway=gateway_name,
                        notification_id=notification.notification_id,
                        verified=True,
                        outcome="received",
                        body=json.dumps(dict(notification.resource)),
                    )
            except IntegrityError:
                return gateway.notification_response(True)  # a replay: already applied
            outcome = _apply_notification(notification)
            NotificationLog.objects.filter(pk=entry.pk).update(outcome=outcome)
    except PaymentError as exc:
        NotificationLog.objects.create(
            gateway=gateway_name,
            verified=False,
            outcome=f"refused: {exc.messages[0]}",
            body=body[:4000].decode(errors="replace"),
        )
        return gateway.notification_response(False, exc.messages[0])
    return gateway.notification_response(True)


def _apply_notification(notification) -> str:
    resource = notification.resource
    if notification.event_type.startswith("PROFITSHARING"):
        from .profit_sharing import apply_sharing_notification

        return apply_sharing_notification(resource)
    if notification.event_type.startswith("TRANSACTION") and "combine_out_trade_no" in resource:
        return _apply_combined(resource)
    if notification.event_type.startswith("TRANSACTION"):
        payment = Payment.objects.filter(out_trade_no=resource.get("out_trade_no")).first()
        if payment is None:
            raise PaymentError("unknown out_trade_no")
        if payment.merchant_id and resource.get("mchid") not in (None, payment.merchant.mchid):
            raise PaymentError("notification is for another merchant")
        if resource.get("trade_state") != "SUCCESS":
            return f"ignored state {resource.get('trade_state')}"
        if payment.gateway == PARTNER_GATEWAY:
            _record_sub_orders(
                payment, [dict(resource, amount={"total_amount": resource["amount"]["total"]})]
            )
        _apply_success(
            payment.pk,
            amount=int(resource["amount"]["total"]),
            transaction_id=resource.get("transaction_id", ""),
            paid_at=datetime.fromisoformat(resource["success_time"])
            if resource.get("success_time")
            else None,
        )
        return "applied success"
    if notification.event_type.startswith("REFUND"):
        return _apply_refund_notification(notification.event_type, resource)
    return f"ignored event {notification.event_type}"


def _record_sub_orders(payment: Payment, sub_orders) -> None:
    from .gateways.base import GatewayError
    from .profit_sharing import record_sub_order_transactions

    try:
        record_sub_order_transactions(payment, sub_orders)
    except GatewayError as exc:
        raise PaymentError(str(exc)) from exc


def _apply_combined(resource: Mapping) -> str:
    """A combined payment's notification: every sub-order must have succeeded."""
    payment = Payment.objects.filter(out_trade_no=resource.get("combine_out_trade_no")).first()
    if payment is None or payment.gateway != PARTNER_GATEWAY:
        raise PaymentError("unknown combine_out_trade_no")
    if payment.merchant_id and resource.get("combine_mchid") != payment.merchant.mchid:
        raise PaymentError("notification is for another merchant")
    subs = resource.get("sub_orders") or []
    if not subs or any(s.get("trade_state") != "SUCCESS" for s in subs):
        return "ignored: not every sub-order succeeded"
    _record_sub_orders(payment, subs)
    times = [s["success_time"] for s in subs if s.get("success_time")]
    _apply_success(
        payment.pk,
        amount=sum(int(s["amount"]["total_amount"]) for s in subs),
        transaction_id=subs[0].get("transaction_id", ""),
        paid_at=datetime.fromisoformat(max(times)) if times else None,
    )
    return "applied success"


def _apply_refund_notification(event_type: str, resource: Mapping) -> str:
    """REFUND.SUCCESS / REFUND.ABNORMAL / REFUND.CLOSED finish a refund the provider accepted."""
    refund = (
        Refund.objects.select_for_update()
        .select_related("payment")
        .filter(out_refund_no=resource.get("out_refund_no"))
        .first()
    )
    if refund is None or resource.get("out_trade_no") not in (
        refund.payment.out_trade_no,
        refund.sub_order.out_trade_no if refund.sub_order_id else None,
    ):
        raise PaymentError("unknown out_refund_no")
    if refund.status != RefundStatus.PENDING:
        return f"refund already {refund.status}"
    if int(resource.get("amount", {}).get("refund", -1)) != refund.amount:
        raise PaymentError(f"refund amount mismatch for {refund.out_refund_no}")
    succeeded = event_type == "REFUND.SUCCESS" and resource.get("refund_status") == "SUCCESS"
    _finish_refund(
        refund,
        succeeded=succeeded,
        provider_refund_id=resource.get("refund_id", refund.provider_refund_id),
        failure_reason="" if succeeded else f"provider: {resource.get('refund_status', event_type)}",
    )
    return "refund succeeded" if succeeded else "refund failed"


@transaction.atomic
def query_and_apply(payment: Payment) -> Payment:
    """Ask the provider (e.g. when the consumer returns before the notification arrives)."""
    state = get_gateway(payment.gateway).query(payment)
    if state.state == "SUCCESS":
        return _apply_success(
            payment.pk, amount=state.amount, transaction_id=state.transaction_id, paid_at=state.paid_at
        )
    payment.refresh_from_db()
    return payment


@transaction.atomic
def close_payment(payment: Payment) -> Payment:
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if payment.status != PaymentStatus.PENDING:
        return payment
    get_gateway(payment.gateway).close(payment)
    payment.status = PaymentStatus.CLOSED
    payment.save(update_fields=["status"])
    return payment


@transaction.atomic
def refund_payment(
    *, payment: Payment, amount: int, reason: str, purpose: str, reference: str, brand_id: int | None = None
) -> Refund:
    """Refund part or all of a paid payment through its gateway.  Idempotent per ``reference``.
    ``brand_id``: whose part is refunded (a service-provider payment refunds from that brand's
    sub-order)."""
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    existing = Refund.objects.filter(payment=payment, reference=reference).first()
    if existing:
        return existing
    if payment.status != PaymentStatus.SUCCEEDED:
        raise PaymentError(_("Only a paid payment can be refunded."))
    in_flight = sum(r.amount for r in payment.refunds.filter(status=RefundStatus.PENDING))
    if amount <= 0 or amount > payment.amount - payment.refunded_amount - in_flight:
        raise PaymentError(
            _("A refund of %(amount)s fen is more than the %(left)s fen left to refund.")
            % {"amount": amount, "left": payment.amount - payment.refunded_amount - in_flight}
        )
    sub_order = None
    if payment.gateway == PARTNER_GATEWAY:
        sub_order = payment.sub_orders.filter(brand_id=brand_id).first()
        if sub_order is None:
            raise PaymentError(_("This payment has no part for that brand."))
        done = sum(
            r.amount
            for r in sub_order.refunds.filter(status__in=[RefundStatus.PENDING, RefundStatus.SUCCEEDED])
        )
        if amount > sub_order.amount - done:
            raise PaymentError(_("A refund can not be more than what was paid to the brand."))
    refund = Refund.objects.create(
        payment=payment,
        amount=amount,
        reason=reason[:80],
        purpose=purpose,
        reference=reference,
        sub_order=sub_order,
    )
    result = get_gateway(payment.gateway).refund(refund)
    if result.pending:
        from fenxiao.core.jobs import enqueue

        if result.provider_refund_id:
            refund.provider_refund_id = result.provider_refund_id
            refund.save(update_fields=["provider_refund_id"])
        # The notification normally finishes it; if it is late or lost, ask the provider.
        enqueue("payments.refund_poll", {"refund": refund.pk}, run_at=clock.now() + REFUND_POLL_AFTER)
        return refund
    return _finish_refund(
        refund,
        succeeded=result.succeeded,
        provider_refund_id=result.provider_refund_id,
        failure_reason=result.failure_reason,
    )


@transaction.atomic
def poll_refund(refund_id: int) -> Refund:
    """Ask the provider about a refund still processing; finish it if the provider has."""
    refund = Refund.objects.select_for_update().select_related("payment").get(pk=refund_id)
    if refund.status != RefundStatus.PENDING:
        return refund
    gateway = get_gateway(refund.payment.gateway)
    result = gateway.refund_state(refund) if hasattr(gateway, "refund_state") else None
    if result is None or result.pending:
        return refund
    return _finish_refund(
        refund,
        succeeded=result.succeeded,
        provider_refund_id=result.provider_refund_id or refund.provider_refund_id,
        failure_reason=result.failure_reason,
    )


def _finish_refund(
    refund: Refund, *, succeeded: bool, provider_refund_id: str = "", failure_reason: str = ""
) -> Refund:
    refund.status = RefundStatus.SUCCEEDED if succeeded else RefundStatus.FAILED
    refund.provider_refund_id = provider_refund_id
    refund.failure_reason = failure_reason[:200]
    refund.finished_at = clock.now()
    refund.save(update_fields=["status", "provider_refund_id", "failure_reason", "finished_at"])
    handler = handler_for(refund.purpose)
    if succeeded:
        Payment.objects.filter(pk=refund.payment_id).update(
            refunded_amount=F("refunded_amount") + refund.amount
        )
        refund.payment.refresh_from_db()
        handler.on_refund_succeeded(refund)
    else:
        handler.on_refund_failed(refund)
    return refund


@transaction.atomic
def create_transfer(
    *,
    payee,
    amount: int,
    purpose: str,
    reference: str,
    description: str,
    gateway: str | None = None,
    payee_name: str = "",
) -> Transfer:
    """Pay out to a person through the gateway (idempotent per ``reference``); the purpose's
    handler hears the outcome in the same transaction.  ``payee_name`` (the payee's real name,
    needed from ``REAL_NAME_FROM`` fen) is kept encrypted at rest."""
    existing = Transfer.objects.filter(reference=reference).first()
    if existing:
        return existing
    if amount <= 0:
        raise PaymentError(_("Nothing to pay out."))
    transfer = Transfer.objects.create(
        payee=payee,
        amount=amount,
        purpose=purpose,
        reference=reference,
        description=description[:60],
        gateway=gateway or default_gateway_name(),
        payee_name_encrypted=secrets_box.encrypt(payee_name.strip()) if payee_name.strip() else "",
    )
    result = get_gateway(transfer.gateway).transfer(transfer)
    if result.pending:
        from fenxiao.core.jobs import enqueue

        enqueue("payments.transfer_poll", {"transfer": transfer.pk})
        return transfer
    return _finish_transfer(transfer, result)


@transaction.atomic
def poll_transfer(transfer_id: int) -> Transfer:
    """Ask the provider about a payout it accepted but had not finished."""
    transfer = Transfer.objects.select_for_update().get(pk=transfer_id)
    if transfer.status != TransferStatus.PENDING:
        return transfer
    gateway = get_gateway(transfer.gateway)
    result = gateway.transfer_state(transfer) if hasattr(gateway, "transfer_state") else None
    if result is None or result.pending:
        return transfer
    return _finish_transfer(transfer, result)


def _finish_transfer(transfer: Transfer, result) -> Transfer:
    purpose = transfer.purpose
    transfer.status = TransferStatus.SUCCEEDED if result.succeeded else TransferStatus.FAILED
    transfer.provider_transfer_id = result.provider_refund_id
    transfer.failure_reason = result.failure_reason[:200]
    transfer.finished_at = clock.now()
    transfer.save(update_fields=["status", "provider_transfer_id", "failure_reason", "finished_at"])
    handler = handler_for(purpose)
    if result.succeeded:
        handler.on_transfer_succeeded(transfer)
    else:
        handler.on_transfer_failed(transfer)
    return transfer


@transaction.atomic
def remember_openid(*, user, appid: str, openid: str) -> WechatIdentity:
    """Called by WeChat sign-in: the openid JSAPI payments and payouts under ``appid`` need."""
    owner = WechatIdentity.objects.filter(appid=appid, openid=openid).exclude(user=user).first()
    if owner is not None:
        raise PaymentError(_("This WeChat account is already linked to another person."))
    identity, _created = WechatIdentity.objects.update_or_create(
        user=user, appid=appid, defaults={"openid": openid}
    )
    return identity


@transaction.atomic
def set_brand_gateway(*, actor, gateway: str | None) -> BrandPaymentSetting | None:
    """A brand's choice of gateway (``None``: the platform default).  Needs settings permission."""
    from fenxiao.accounts.roles import Perm
    from fenxiao.accounts.selectors import require_brand_permission

    from .models import GatewayChoice, MerchantAccount

    require_brand_permission(actor.user, actor.brand_id, Perm.SETTINGS_MANAGE)
    if gateway is None:
        BrandPaymentSetting.objects.filter(brand_id=actor.brand_id).delete()
        return None
    if gateway not in GatewayChoice.values:
        raise PaymentError(_("Unknown payment gateway."))
    if gateway == GatewayChoice.WECHATPAY and not MerchantAccount.objects.filter(active=True).exists():
        raise PaymentError(_("The platform has not set up WeChat Pay yet."))
    setting, _created = BrandPaymentSetting.objects.update_or_create(
        brand_id=actor.brand_id, defaults={"gateway": gateway}
    )
    return setting
