from django import template

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
