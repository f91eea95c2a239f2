"""Money is an integer number of fen (1 yuan = 100 fen), never a float.

Rates are basis points (1% = 100 bps).  Every split of an amount uses a largest-remainder
allocation so the parts always add up to the whole, exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

BPS_DENOMINATOR = 10_000


class MoneyFormatError(ValueError):
    """Raised when a yuan amount typed by a person cannot be read as money."""


def format_yuan(fen: int | None) -> str:
    """12345 -> '123.45'; negative amounts keep their sign."""
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    fen = abs(int(fen))
    return f"{sign}{fen // 100}.{fen % 100:02d}"


def parse_yuan(text: str | int | Decimal) -> int:
    """'123.45' -> 12345 fen.  Rejects more than two decimals, blanks and non-numbers."""
    raw = str(text).strip().replace("¥", "").replace(",", "")
    if not raw:
        raise MoneyFormatError("Enter an amount in yuan, for example 12.50.")
    try:
        value = Decimal(raw)
    except InvalidOperation as exc:
        raise MoneyFormatError(f"“{text}” is not an amount in yuan, for example 12.50.") from exc
    if not value.is_finite():
        raise MoneyFormatError(f"“{text}” is not an amount in yuan.")
    if value != value.quantize(Decimal("0.01")):
        raise MoneyFormatError(f"“{text}” has more than two decimal places (fen is the smallest unit).")
    return int((value * 100).to_integral_value(rounding=ROUND_HALF_UP))


def apply_bps(amount: int, bps: int) -> int:
    """The share of ``amount`` at ``bps`` basis points, rounded half up to a whole fen."""
    if amount < 0:
        return -apply_bps(-amount, bps)
    return (amount * bps * 2 + BPS_DENOMINATOR) // (2 * BPS_DENOMINATOR)


def allocate(total: int, weights: Sequence[int]) -> list[int]:
    """Split ``total`` fen over ``weights`` in proportion, by largest remainder.

    The parts always sum to ``total``.  Ties in remainder go to the earlier weight.  With zero
    total weight only a zero ``total`` can be spread (every part 0); a non-zero one raises
    ``ValueError`` (a caller bug).
    """
    if not weights:
        if total:
            raise ValueError("cannot allocate a non-zero amount over no parts")
        return []
    if any(w < 0 for w in weights):
        raise ValueError("weights must not be negative")
    weight_sum = sum(weights)
    if weight_sum == 0:
        if total:
            raise ValueError("cannot allocate a non-zero amount over zero weights")
        return [0 for _ in weights]
    sign = -1 if total < 0 else 1
    magnitude = abs(total)
    floors = [magnitude * w // weight_sum for w in weights]
    remainders = [magnitude * w % weight_sum for w in weights]
    leftover = magnitude - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for i in order[:leftover]:
        floors[i] += 1
    return [sign * part for part in floors]
