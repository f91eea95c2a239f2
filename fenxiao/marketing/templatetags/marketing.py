"""Marketing snippets for other apps' pages: offers on the product page, the coupon picker at
checkout."""

from __future__ import annotations

from django import template

from fenxiao.core import clock

from .. import coupons, selectors

register = template.Library()


@register.inclusion_tag("marketing/_product_offers.html", takes_context=True)
def product_offers(context, product) -> dict:
    offers = selectors.product_offers(product)
    now = offers["now"]
    for sale in offers["flash"]:
        sale.seconds_left = max(0, int((sale.ends_at - now).total_seconds()))
        sale.seconds_to_start = max(0, int((sale.starts_at - now).total_seconds()))
    for deal in offers["deals"]:
        for group in deal.open_groups:
            group.seconds_left = max(0, int((group.expires_at - now).total_seconds()))
    return {"request": context.get("request"), "user": context.get("user"), **offers}


@register.inclusion_tag("marketing/_coupon_picker.html", takes_context=True)
def checkout_coupons(context, order) -> dict:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"usable": []}
    chosen = request.POST.getlist("coupon") if request.method == "POST" else request.GET.getlist("coupon")
    return {
        "order": order,
        "usable": list(coupons.usable_coupons(user, brand_ids=[order.brand.pk])),
        "chosen": {int(c) for c in chosen if str(c).isdigit()},
        "now": clock.now(),
    }
