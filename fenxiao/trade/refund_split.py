"""The refund split rule: who gives back how much of a refund, in integer fen.

- **How much may be refunded** (:func:`refund_cap`): what was paid, less shipping once anything
  shipped, less what was refunded and what open requests may still take; per line, at most the
  line's paid amount less what was refunded for it.
- **Before settlement** the money is still in clearing: the refund leaves clearing, and each
  pending commission gives back the share of the goods refunded
  (:func:`pending_commission_part`; refunds come off the goods first, see ``platform_fee``).
- **After settlement** (:func:`split_after_settlement`) the refund is spread over what each party
  still holds of the settlement — the platform fee and the commissions not yet refunded or clawed
  back, and the brand the rest of what the order still keeps — by largest remainder
  (``core.money.allocate``), so the parts add up to the refund exactly, every part stays within
  what is left, and refunding the rest in any number of parts takes back exactly everything.

``trade.refunds`` applies the rule; the ledger only records the parts it is given.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from fenxiao.core.money import allocate


def refund_cap(*, paid: int, shipping: int, shipped_any: bool, refunded: int, reserved: int) -> int:
    """The most a new refund of an order may take: ``paid`` (less ``shipping`` once anything
    shipped) less ``refunded`` and what other open requests have ``reserved``."""
    return max(0, paid - (shipping if shipped_any else 0) - refunded - reserved)


def line_refund_cap(*, line_paid: int, line_refunded: int, order_cap: int) -> int:
    return max(0, min(line_paid - line_refunded, order_cap))


def pending_commission_part(*, left: int, goods_before: int, refund: int) -> int:
    """What a pending commission (``left`` fen not yet reversed) gives back when ``refund`` fen
    come off ``goods_before`` fen of goods: the commission keeps its share of the goods left,
    rounded down, so a refund of all the goods reverses it in full."""
    if goods_before <= 0:
        return 0
    goods_after = max(0, goods_before - refund)
    return left - left * goods_after // goods_before


@dataclass(frozen=True)
class RefundSplit:
    brand_part: int
    fee_part: int
    commission_parts: dict[int, int]


def split_after_settlement(
    *, amount: int, kept: int, fee_left: int, commissions_left: Mapping[int, int]
) -> RefundSplit:
    """Spread a refund of ``amount`` fen of a settled order that still keeps ``kept`` fen over the
    brand (``kept`` less the fee and commissions still held), the fee still held (``fee_left``)
    and each commission still held ({user id: fen})."""
    brand_left = max(0, kept - fee_left - sum(commissions_left.values()))
    return split(amount=amount, brand_part=brand_left, fee=fee_left, commissions=commissions_left)


def split(*, amount: int, brand_part: int, fee: int, commissions: Mapping[int, int]) -> RefundSplit:
    """``amount`` over the brand, the fee and each commission, pro rata by largest remainder; the
    parts add up to ``amount`` exactly."""
    keys = list(commissions)
    parts = allocate(amount, [brand_part, fee, *(commissions[k] for k in keys)])
    return RefundSplit(
        brand_part=parts[0], fee_part=parts[1], commission_parts=dict(zip(keys, parts[2:], strict=True))
    )
