"""A paid order with an open after-sales request does not ship, from the console or the REST API,
until the brand answers it (declining it lets the order ship); every console order view flags
the open request."""

from __future__ import annotations

import pytest

from fenxiao.aftersales import services
from fenxiao.aftersales.models import Kind, Reason
from fenxiao.openapi.tests.factories import make_app
from fenxiao.openapi.tests.test_api_endpoints import assert_error, call
from fenxiao.trade import fulfilment
from fenxiao.trade.errors import TradeError
from fenxiao.trade.models import OrderStatus

from .factories import scene

pytestmark = pytest.mark.django_db


def _request(s, kind: str = Kind.REFUND_ONLY, reason: str = Reason.CHANGED_MIND):
    return services.create_request(
        consumer=s.consumer,
        order_id=s.order.pk,
        line_id=None,
        kind=kind,
        reason=reason,
        amount=s.order.paid_amount,
    )


def test_an_open_refund_request_holds_shipping_everywhere_until_the_brand_declines_it(client):
    s = scene(distributor=False)
    request = _request(s)
    with pytest.raises(TradeError, match=request.request_no):
        fulfilment.ship(actor=s.owner, order_id=s.order.pk, carrier="顺丰", tracking_no="SF1")

    client.force_login(s.owner.user)
    base = f"/console/b/{s.sku.brand_id}/orders/"
    listing = client.get(base).content.decode()
    detail = client.get(f"{base}{s.order.pk}/").content.decode()
    flag = f"/console/b/{s.sku.brand_id}/aftersales/{request.pk}/"
    assert "data-aftersale-open" in listing and flag in listing
    assert "data-aftersale-open" in detail and flag in detail and 'id="ship-form"' not in detail
    refused = client.post(f"{base}{s.order.pk}/ship/", {"carrier": "顺丰", "tracking_no": "SF1"})
    assert refused.status_code == 400 and request.request_no in refused.content.decode()

    _app, key = make_app(s.sku.brand, name="ERP")
    url = f"/api/v1/orders/{s.order.order_no}/shipments"
    error = assert_error(call(client, "post", url, key, {"carrier": "SF", "tracking_no": "SF1"}), 409)
    assert request.request_no in error["message"]
    s.order.refresh_from_db()
    assert s.order.status == OrderStatus.PAID and not s.order.shipments.exists()

    services.reject(actor=s.owner, request_id=request.pk, note="已在打包，不能取消")
    response = call(client, "post", url, key, {"carrier": "SF", "tracking_no": "SF1"})
    assert response.status_code == 201, response.content
    s.order.refresh_from_db()
    assert s.order.status == OrderStatus.SHIPPED


def test_a_return_opened_after_shipping_is_flagged_on_the_console(client):
    s = scene(distributor=False)
    s.ship()
    request = _request(s, Kind.RETURN_REFUND, Reason.DAMAGED)
    client.force_login(s.owner.user)
    detail = client.get(f"/console/b/{s.sku.brand_id}/orders/{s.order.pk}/").content.decode()
    assert f"/console/b/{s.sku.brand_id}/aftersales/{request.pk}/" in detail
