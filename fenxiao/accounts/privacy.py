"""A consumer's personal data: export it, or erase it.

Erasure keeps the brands' books whole: orders, payments, ledger entries, commissions and after-sales
records stay, anonymised (no name, phone, street address, messages or photos of the person), and
the account is closed for good.  It is refused, with the reason, while the person still has
something in progress: an order not yet completed or cancelled, an open after-sales request,
money in a distributor wallet, or a staff role.

Each app's data is one :class:`Section` (export + erase) below, so a new app with personal data
adds one section and the export/erase tests cover it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from fenxiao.core import clock

from .models import User

DELETED_NAME = "已注销用户 / deleted user"
OPEN_ORDER_STATUSES = ("pending_payment", "paid", "shipped")


@dataclass(frozen=True)
class Section:
    name: str
    app: str
    export: Callable[[User], object]
    erase: Callable[[User], None]


def _model(label: str):
    return apps.get_model(label)


# --- trade -------------------------------------------------------------------------------------


def _export_trade(user: User) -> dict:
    orders = (
        _model("trade.Order").objects.filter(consumer=user).select_related("brand").prefetch_related("lines")
    )
    return {
        "addresses": list(
            user.addresses.values("name", "phone", "province", "city", "district", "detail", "is_default")
        ),
        "cart": list(user.cart_items.values("sku_id", "quantity")),
        "orders": [
            {
                "order_no": o.order_no,
                "brand": o.brand.name,
                "status": o.status,
                "created_at": o.created_at.isoformat(),
                "paid_amount_fen": o.paid_amount,
                "refunded_amount_fen": o.refunded_amount,
                "shipping_address": o.address,
                "note": o.note,
                "lines": [
                    {
                        "title": li.title,
                        "spec": li.spec_label,
                        "quantity": li.quantity,
                        "paid_fen": li.paid_amount,
                    }
                    for li in o.lines.all()
                ],
            }
            for o in orders
        ],
    }


def _erase_trade(user: User) -> None:
    user.addresses.all().delete()
    user.cart_items.all().delete()
    Order = _model("trade.Order")
    for order in Order.objects.filter(consumer=user).only("pk", "address"):
        kept = {k: order.address.get(k, "") for k in ("province", "city")}  # for the brand's regional figures
        Order.objects.filter(pk=order.pk).update(
            address={**kept, "name": "", "phone": "", "district": "", "detail": ""}, note=""
        )


# --- distribution, payments, CRM, after-sales --------------------------------------------------


def _export_distribution(user: User) -> dict:
    return {
        "bound_to": list(
            _model("distribution.CustomerBinding")
            .objects.filter(consumer=user)
            .values("brand__name", "distributor__distributor__store_name", "bound_at", "expires_at")
        )
    }


def _erase_distribution(user: User) -> None:
    _model("distribution.CustomerBinding").objects.filter(consumer=user).delete()
    _model("distribution.Visit").objects.filter(visitor=user).update(visitor=None)


def _export_payments(user: User) -> dict:
    return {"wechat_identities": list(user.wechat_identities.values("appid", "openid"))}


def _erase_payments(user: User) -> None:
    user.wechat_identities.all().delete()


def _export_crm(user: User) -> dict:
    members = _model("crm.Member").objects.filter(consumer=user).select_related("brand", "level")
    return {
        "memberships": [
            {
                "brand": m.brand.name,
                "level": m.level.name if m.level else "",
                "points_balance": m.points_balance,
                "growth": m.growth,
                "points_history": list(m.points_entries.values("kind", "delta", "reference", "at")),
            }
            for m in members
        ],
        "wechat_fans": list(
            _model("crm.Fan").objects.filter(user=user).values("brand__name", "openid", "nickname")
        ),
    }


def _erase_crm(user: User) -> None:
    Member = _model("crm.Member")
    members = Member.objects.filter(consumer=user)
    _model("crm.MemberTag").objects.filter(member__in=members).delete()
    _model("crm.Fan").objects.filter(user=user).delete()
    members.update(consumer=None, display_name="", notes="")


def _export_aftersales(user: User) -> dict:
    requests = (
        _model("aftersales.AftersaleRequest").objects.filter(consumer=user).prefetch_related("messages")
    )
    return {
        "requests": [
            {
                "request_no": r.request_no,
                "kind": r.kind,
                "reason": r.reason,
                "description": r.description,
                "status": r.status,
                "amount_fen": r.amount,
                "refunded_amount_fen": r.refunded_amount,
                "my_messages": [m.body for m in r.messages.all() if m.author_id == user.pk],
            }
            for r in requests
        ]
    }


def _erase_aftersales(user: User) -> None:
    Request = _model("aftersales.AftersaleRequest")
    Request.objects.filter(consumer=user).update(description="", return_carrier="", return_tracking_no="")
    _model("aftersales.Message").objects.filter(author=user).update(body="")
    for evidence in _model("aftersales.Evidence").objects.filter(uploaded_by=user):
        evidence.image.delete(save=False)
        evidence.delete()


SECTIONS: list[Section] = [
    Section("trade", "trade", _export_trade, _erase_trade),
    Section("distribution", "distribution", _export_distribution, _erase_distribution),
    Section("payments", "payments", _export_payments, _erase_payments),
    Section("crm", "crm", _export_crm, _erase_crm),
    Section("aftersales", "aftersales", _export_aftersales, _erase_aftersales),
]


def _installed() -> list[Section]:
    return [s for s in SECTIONS if apps.is_installed(f"fenxiao.{s.app}")]


def export_personal_data(user: User) -> dict:
    """Everything the platform keeps about ``user`` as a person, as JSON-ready data."""
    data: dict = {
        "exported_at": clock.now().isoformat(),
        "account": {
            "phone": user.phone,
            "email": user.email,
            "display_name": user.display_name,
            "date_joined": user.date_joined.isoformat(),
        },
    }
    for section in _installed():
        data[section.name] = section.export(user)
    return data


def erasure_blockers(user: User) -> list[str]:
    """Why the account cannot be erased yet (empty: it can)."""
    reasons = []
    if user.is_staff or user.brand_roles.exists():
        reasons.append(_("You are staff of a brand or of the platform: leave those roles first."))
    if _model("trade.Order").objects.filter(consumer=user, status__in=OPEN_ORDER_STATUSES).exists():
        reasons.append(_("You have orders that are not completed or cancelled yet."))
    if apps.is_installed("fenxiao.aftersales"):
        from fenxiao.aftersales.models import FINAL_STATUSES

        open_requests = _model("aftersales.AftersaleRequest").objects.filter(consumer=user)
        if open_requests.exclude(status__in=FINAL_STATUSES).exists():
            reasons.append(_("You have an after-sales request that is still open."))
    wallet = _model("ledger.LedgerAccount").objects.filter(user=user).exclude(balance=0)
    if wallet.filter(balance__lt=0).exists():  # a credit balance: money the distributor holds
        reasons.append(_("Your distributor wallet still holds money: withdraw it first."))
    elif wallet.exists():  # a debit balance: a claw-back not yet covered by new commission
        reasons.append(
            _("Your distributor wallet owes money back for refunded orders: it must be settled first.")
        )
    return reasons


@transaction.atomic
def erase_account(user: User, *, password: str) -> None:
    """Erase ``user``'s personal data and close the account (one transaction)."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.check_password(password):
        raise ValidationError(_("The password is not right."), code="password")
    blockers = erasure_blockers(user)
    if blockers:
        raise ValidationError(blockers, code="blocked")
    for section in _installed():
        section.erase(user)
    from fenxiao.core.audit import record

    record("staff", "privacy.erase_account", target=f"user:{user.pk}")
    if user.phone:  # the SMS codes sent to the number (hashed codes, but the number is personal data)
        _model("accounts.SmsCode").objects.filter(phone=user.phone).delete()
    user.phone = None
    user.email = f"deleted-{user.pk}@deleted.invalid"
    user.display_name = DELETED_NAME
    user.is_active = False
    user.set_unusable_password()  # also ends every session: their auth hash no longer matches
    user.save()
