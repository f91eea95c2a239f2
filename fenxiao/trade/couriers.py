"""The couriers a brand ships with: Kuaidi100's company codes of the common carriers.

A shipment stores the code (``shunfeng``); pages show the name.  A brand chooses from this list
(the console's select, the open platform's ``carrier``); anything else is refused before a row is
written.  Well-known abbreviations and the Chinese names are accepted as spellings of a code.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Courier:
    code: str  # Kuaidi100's company code
    name: str  # the carrier's own (Chinese) name, shown as is in every language
    abbreviations: tuple[str, ...] = ()


COURIERS: tuple[Courier, ...] = (
    Courier("shunfeng", "顺丰速运", ("SF", "顺丰")),
    Courier("zhongtong", "中通快递", ("ZTO", "中通")),
    Courier("yuantong", "圆通速递", ("YTO", "圆通")),
    Courier("shentong", "申通快递", ("STO", "申通")),
    Courier("yunda", "韵达快递", ("YD", "韵达")),
    Courier("jtexpress", "极兔速递", ("JT", "J&T", "极兔")),
    Courier("ems", "EMS", ("中国邮政EMS",)),
    Courier("youzhengguonei", "邮政快递包裹", ("CHINAPOST", "邮政")),
    Courier("jd", "京东物流", ("JD", "京东")),
    Courier("debangwuliu", "德邦快递", ("DBL", "德邦")),
    Courier("zhaijisong", "宅急送", ("ZJS",)),
    Courier("annengwuliu", "安能物流", ("ANE", "安能")),
    Courier("baishiwuliu", "百世快运", ("BEST", "百世")),
    Courier("fengwang", "丰网速运", ("FWX", "丰网")),
)

_BY_SPELLING: dict[str, Courier] = {}
for _courier in COURIERS:
    for _spelling in (_courier.code, _courier.name, *_courier.abbreviations):
        _BY_SPELLING[_spelling.strip().lower()] = _courier


def find(spelling: str) -> Courier | None:
    """The courier a code, abbreviation or name stands for, or None when it is not on the list."""
    return _BY_SPELLING.get((spelling or "").strip().lower())


def name_of(code: str) -> str:
    """The carrier's name for a stored code (an unknown or legacy value is shown as it is)."""
    courier = find(code)
    return courier.name if courier else code


def choices() -> list[tuple[str, str]]:
    """(code, "name (code)") for a select, in the list's order."""
    return [(c.code, f"{c.name} ({c.code})") for c in COURIERS]


UNKNOWN_MESSAGE = _("“%(code)s” is not a courier on the list; choose one of: %(codes)s.")


def unknown_message(code: str) -> str:
    return str(UNKNOWN_MESSAGE) % {"code": code, "codes": ", ".join(c.code for c in COURIERS)}
