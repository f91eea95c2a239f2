"""Service-provider mode, the payments side: which funds flow brands are on, the sub-orders of a
service-provider payment, and the profit-sharing calls (receivers, sharing order, unfreeze,
returns) through :mod:`.gateways.wechatpay_partner`.  The ledger and the orders are the trade
app's business (``trade.partner_flow``); this module knows brands, amounts and receivers only.

Which receivers are shared to, and what may be returned (WeChat Pay's rules):

- the platform fee goes to the platform's own merchant (``MERCHANT_ID``, relation
  ``SERVICE_PROVIDER``), and so does the commission of a distributor with no openid under the
  platform's appid (it cannot be shared to a person WeChat does not know; the platform then owes it
  to the distributor like any platform-flow commission);
- a commission goes to the distributor's openid (``PERSONAL_OPENID``, relation ``DISTRIBUTOR``);
- a return (分账回退) is only possible from a *merchant* receiver, so after sharing a refund takes
  back by return what went to the platform; what went to a person is clawed back in the ledger.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from .gateways.base import GatewayError
from .gateways.wechatpay import _call, _failure, active_merchant, openid_of
from .models import (
    BrandFundsFlow,
    FundsFlow,
    MerchantAccount,
    Payment,
    PaymentSubOrder,
    ProfitSharingOrder,
    ProfitSharingReturn,
    SharingState,
    new_trade_no,
)
from .partner_models import PARTNER_GATEWAY


class FundsFlowError(ValueError):
    """Brands on different funds flows in one payment, or a brand not set up for its flow."""


# -- which flow -------------------------------------------------------------------------------
def service_provider_brands(brand_ids: Iterable[int]) -> set[int]:
    return set(
        BrandFundsFlow.objects.filter(
            brand_id__in=set(brand_ids), flow=FundsFlow.SERVICE_PROVIDER
        ).values_list("brand_id", flat=True)
    )


def flow_for_brands(brand_ids: Iterable[int], *, partner: set[int] | None = None) -> str:
    """The one funds flow of a payment for these brands.  A cart mixing brands on different flows
    is refused (one payment cannot both land with the platform and with sub-merchants).
    ``partner``: the brands on the service-provider flow when the caller already read them."""
    brand_ids = set(brand_ids)
    if partner is None:
        partner = service_provider_brands(brand_ids)
    if not partner:
        return FundsFlow.PLATFORM_MERCHANT
    if partner != brand_ids:
        raise FundsFlowError(
            _(
                "Some of these brands collect their payments themselves and others through the "
                "platform; please check out their goods separately."
            )
        )
    return FundsFlow.SERVICE_PROVIDER


def create_sub_orders(payment: Payment, brand_amounts: Mapping[int, int]) -> list[PaymentSubOrder]:
    """One sub-order per brand (a single brand's sub-order is the payment itself)."""
    flows = {f.brand_id: f for f in BrandFundsFlow.objects.filter(brand_id__in=brand_amounts)}
    single = len(brand_amounts) == 1
    subs = []
    for brand_id in sorted(brand_amounts):
        amount = brand_amounts[brand_id]
        if amount <= 0:
            continue
        subs.append(
            PaymentSubOrder.objects.create(
                payment=payment,
                brand_id=brand_id,
                out_trade_no=payment.out_trade_no if single else new_trade_no("S"),
                amount=amount,
                sub_mchid_encrypted=flows[brand_id].sub_mchid_encrypted,
            )
        )
    if sum(s.amount for s in subs) != payment.amount:
        raise FundsFlowError("the brands' parts do not add up to the payment")
    return subs


def record_sub_order_transactions(payment: Payment, sub_orders: Sequence[Mapping]) -> None:
    """The provider's transaction id of each sub-order (from the notification or a query)."""
    by_no = {s["out_trade_no"]: s for s in sub_orders}
    for sub in PaymentSubOrder.objects.filter(payment=payment):
        found = by_no.get(sub.out_trade_no)
        if found is None:
            raise GatewayError(f"sub-order {sub.out_trade_no} missing from the provider's answer")
        if int(found["amount"].get("total_amount", found["amount"].get("total", -1))) != sub.amount:
            raise GatewayError(f"amount mismatch for sub-order {sub.out_trade_no}")
        if found.get("transaction_id") and sub.transaction_id != found["transaction_id"]:
            sub.transaction_id = found["transaction_id"]
            sub.save(update_fields=["transaction_id"])


def sub_order_of(payment: Payment, brand_id: int) -> PaymentSubOrder | None:
    return PaymentSubOrder.objects.filter(payment=payment, brand_id=brand_id).first()


def is_partner(payment: Payment | None) -> bool:
    return payment is not None and payment.gateway == PARTNER_GATEWAY


# -- sharing --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Sharing:
    """What a sharing order did: ``direct`` commissions paid to distributors' openids and
    ``via_platform`` ones the platform's merchant received for them (user id → fen)."""

    order: ProfitSharingOrder
    fee: int
    direct: dict[int, int]
    via_platform: dict[int, int]


def _client(merchant: MerchantAccount):
    from .gateways.wechatpay_partner import partner_client

    return partner_client(merchant)


def _add_receiver(
    client, merchant: MerchantAccount, sub_mchid: str, kind: str, account: str, **extra
) -> None:
    relation = "SERVICE_PROVIDER" if kind == "MERCHANT_ID" else "DISTRIBUTOR"
    code, data = _call(
        client.profitsharing_add_receiver,
        account_type=kind,
        account=account,
        relation_type=relation,
        appid=merchant.appid,
        sub_mchid=sub_mchid,
        **extra,
    )
    if code != 200:
        raise GatewayError(_failure(code, data))


def _receivers(merchant: MerchantAccount, *, fee: int, commissions: Mapping[int, int]) -> list[dict]:
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.in_bulk([u for u, a in commissions.items() if a > 0])
    receivers, via_platform = [], {}
    for user_id in sorted(users):
        openid = openid_of(users[user_id], merchant.appid)
        if openid:
            receivers.append(
                {
                    "type": "PERSONAL_OPENID",
                    "account": openid,
                    "amount": commissions[user_id],
                    "user_id": user_id,
                }
            )
        else:
            via_platform[str(user_id)] = commissions[user_id]
    to_platform = fee + sum(via_platform.values())
    if to_platform:
        receivers.insert(
            0,
            {
                "type": "MERCHANT_ID",
                "account": merchant.mchid,
                "amount": to_platform,
                "fee": fee,
                "via_platform": via_platform,
            },
        )
    return receivers


def share_and_unfreeze(
    sub: PaymentSubOrder, *, fee: int, commissions: Mapping[int, int], reference: str
) -> Sharing:
    """At settlement: share ``fee`` to the platform and ``commissions`` (user id → fen) to the
    distributors (receivers added on the fly), then unfreeze the rest for the brand.  Idempotent
    per ``reference`` (the provider's answer to a repeated out_order_no is the first one's)."""
    merchant = active_merchant()
    client = _client(merchant)
    existing = ProfitSharingOrder.objects.filter(reference=reference).first()
    if existing is not None:  # a retry: exactly what was decided the first time
        receivers = existing.receivers
    else:
        receivers = _receivers(merchant, fee=fee, commissions=commissions)
    direct = {r["user_id"]: r["amount"] for r in receivers if r["type"] == "PERSONAL_OPENID"}
    via_platform = {
        int(u): a for r in receivers if r["type"] == "MERCHANT_ID" for u, a in r["via_platform"].items()
    }
    if existing is None:
        existing = ProfitSharingOrder.objects.create(
            sub_order=sub, out_order_no=new_trade_no("PS"), reference=reference, receivers=receivers
        )
    if not sub.transaction_id:
        raise GatewayError(f"sub-order {sub.out_trade_no} has no transaction id yet")
    sub_mchid = sub.sub_mchid
    if receivers and existing.state != SharingState.FINISHED:
        for r in receivers:
            extra = {"name": merchant.name} if r["type"] == "MERCHANT_ID" else {}
            _add_receiver(client, merchant, sub_mchid, r["type"], r["account"], **extra)
        code, data = _call(
            client.profitsharing_order,
            transaction_id=sub.transaction_id,
            out_order_no=existing.out_order_no,
            receivers=[
                {
                    "type": r["type"],
                    "account": r["account"],
                    "amount": r["amount"],
                    "description": "平台服务费" if r["type"] == "MERCHANT_ID" else "分销佣金",
                }
                for r in receivers
            ],
            unfreeze_unsplit=False,
            appid=merchant.appid,
            sub_mchid=sub_mchid,
        )
        if code != 200:
            raise GatewayError(_failure(code, data))
        failed = [r for r in data.get("receivers", []) if r.get("result") == "CLOSED"]
        if failed:
            raise GatewayError(
                f"profit sharing to {failed[0].get('account')} failed: {failed[0].get('fail_reason')}"
            )
        existing.provider_order_id = data.get("order_id", "")
        existing.state = SharingState.FINISHED
        existing.save(update_fields=["provider_order_id", "state"])
    if not existing.unfrozen:
        code, data = _call(
            client.profitsharing_unfreeze,
            transaction_id=sub.transaction_id,
            out_order_no=existing.out_order_no + "U",
            description="解冻剩余资金给品牌",
            sub_mchid=sub_mchid,
        )
        if code != 200:
            raise GatewayError(_failure(code, data))
        existing.unfrozen = True
        existing.state = SharingState.FINISHED
        existing.save(update_fields=["unfrozen", "state"])
    return Sharing(order=existing, fee=fee, direct=direct, via_platform=via_platform)


def sharing_of(sub: PaymentSubOrder) -> ProfitSharingOrder | None:
    return sub.sharings.order_by("id").first()


@transaction.atomic
def return_from_platform(sharing: ProfitSharingOrder, *, amount: int, reference: str) -> ProfitSharingReturn:
    """分账回退: the platform's merchant gives ``amount`` of what it received back to the brand's
    sub-merchant (before a refund that comes from money already shared).  Idempotent per reference."""
    existing = ProfitSharingReturn.objects.filter(reference=reference).first()
    if existing is not None and existing.state == SharingState.FINISHED:
        return existing
    merchant = active_merchant()
    returned = existing or ProfitSharingReturn.objects.create(
        sharing=sharing,
        out_return_no=new_trade_no("PR"),
        reference=reference,
        return_mchid=merchant.mchid,
        amount=amount,
    )
    code, data = _call(
        _client(merchant).profitsharing_return,
        out_return_no=returned.out_return_no,
        return_mchid=merchant.mchid,
        amount=amount,
        description="用户退款",
        out_order_no=sharing.out_order_no,
        sub_mchid=sharing.sub_order.sub_mchid,
    )
    if code != 200 or data.get("result") != "SUCCESS":
        raise GatewayError(_failure(code, data) if code != 200 else f"return {data.get('result')}")
    returned.state = SharingState.FINISHED
    returned.provider_return_id = data.get("return_id", "")
    returned.save(update_fields=["state", "provider_return_id"])
    return returned


def apply_sharing_notification(resource: Mapping) -> str:
    """PROFITSHARING.SUCCESS: the provider confirms one receiver of a sharing order we made."""
    sharing = ProfitSharingOrder.objects.filter(out_order_no=resource.get("out_order_no")).first()
    if sharing is None:
        from .services import PaymentError

        raise PaymentError("unknown out_order_no")
    receiver = resource.get("receiver", {})
    if sharing.shared_to(receiver.get("account", "")) != int(receiver.get("amount", -1)):
        from .services import PaymentError

        raise PaymentError("profit sharing amount mismatch")
    return "profit sharing confirmed"
