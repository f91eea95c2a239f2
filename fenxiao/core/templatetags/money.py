from django import template

from fenxiao.core.form_fields import format_percent
from fenxiao.core.money import format_yuan

register = template.Library()


@register.filter
def yuan(fen: int | None) -> str:
    """Render fen as yuan: ``{{ sku.retail_price|yuan }}`` -> ``¥12.50``."""
    if fen is None or fen == "":
        return ""
    return "¥" + format_yuan(int(fen))


@register.filter
def yuan_plain(fen: int | None) -> str:
    """Fen as a yuan number without the symbol, for form inputs."""
    if fen is None or fen == "":
        return ""
    return format_yuan(int(fen))


@register.filter
def percent(bps: int | None) -> str:
    """Render basis points as a percentage: ``{{ program.level1_bps|percent }}`` -> ``10%``."""
    if bps is None or bps == "":
        return ""
    return format_percent(int(bps)) + "%"
