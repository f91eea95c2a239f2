"""Service-provider mode (服务商模式) end to end, over the real protocol: a cross-brand cart paid
with one combined payment lands with each brand's sub-merchant, settlement shares the exact fee
and commissions by profit sharing and unfreezes the rest, and refunds after sharing take back by
profit-sharing return what went to the platform.  The trial balance is 0 after every test."""

import re
from datetime import timedelta

import pytest
import requests

from fenxiao.accounts.models import Brand
from fenxiao.accounts.roles import BrandRole
from fenxiao.accounts.tests.factories import BrandStaffFactory, UserFactory
from fenxiao.catalog.tests.factories import SkuFactory
from fenxiao.core import clock
from fenxiao.distribution import services as distribution
from fenxiao.distribution.tests.factories import distributor_of, program_of
from fenxiao.ledger import selectors as ledger
from fenxiao.ledger.models import AccountCode
from fenxiao.payments import services
from fenxiao.payments.funds_flow import set_funds_flow
from fenxiao.payments.models import PaymentSubOrder, ProfitSharingReturn, RefundStatus
from fenxiao.payments.wechatpay_local.profitsharing import sharing_notifications
from fenxiao.trade import fulfilment, refunds
from fenxiao.trade.checkout import place_order
from fenxiao.trade.errors import TradeError
from fenxiao.trade.models import Checkout, Order, OrderStatus
from fenxiao.trade.settlement import settle_all_due
from fenxiao.trade.tests.factories import AddressFactory

TEA_SUB, TOWEL_SUB = "1900000201", "1900000202"


@pytest.fixture(autouse=True)
def _trial_balance_holds(db, wxpay):
    wxpay.state = type(wxpay.state)()  # the provider's books start empty for each test
    yield
    assert ledger.trial_balance() == 0
    assert ledger.balances_match_lines()


def _on_service_provider(wxpay, merchant, sku, sub_mchid: str) -> None:
    Brand.objects.filter(pk=sku.brand_id).update(platform_fee_bps=200)
    wxpay.register_sub_merchant(merchant.mchid, sub_mchid)
    set_funds_flow(
        staff=UserFactory(is_staff=True), brand_id=sku.brand_id, flow="service_provider", sub_mchid=sub_mchid
    )
    program_of(sku.brand, level1_bps=1000, freeze_days=7)


def _bind(consumer, member) -> None:
    distribution.record_visit(
        link=distribution.share_link(distributor=member.distributor, brand=member.brand), visitor=consumer
    )


def _pay(wxpay, checkout) -> None:
    payment = checkout.payment
    services.start_payment(payment, return_url="http://shop.test/r/", notify_url="http://shop.test/n/")
    headers, body = wxpay.pay(payment.out_trade_no)
    assert services.handle_notification(payment.gateway, headers, body)[0] == 204
    assert services.handle_notification(payment.gateway, headers, body)[0] == 204  # a replay: once


def _receive(order: Order) -> None:
    owner = BrandStaffFactory(brand=order.brand, role=BrandRole.OWNER)
    fulfilment.ship(actor=owner, order_id=order.pk, carrier="顺丰", tracking_no=f"SF{order.pk}")
    fulfilment.confirm_receipt(consumer=order.consumer, order_id=order.pk)


def _refund(wxpay, order: Order, amount: int, reference: str):
    refund = refunds.refund_order(order_id=order.pk, amount=amount, reason="不想要了", reference=reference)
    headers, body = wxpay.refund_notifications(refund.out_refund_no)
    assert services.handle_notification("wechatpay_partner", headers, body)[0] == 204
    refund.refresh_from_db()
    assert refund.status == RefundStatus.SUCCEEDED
    return refund


def test_cross_brand_cart_pays_each_sub_merchant_shares_fee_and_commissions_and_returns_them(wxpay, merchant):
    tea = SkuFactory(retail_price=10000, stock=10, product__title="绿茶")
    towel = SkuFactory(retail_price=5000, stock=10, product__title="毛巾")
    _on_service_provider(wxpay, merchant, tea, TEA_SUB)
    _on_service_provider(wxpay, merchant, towel, TOWEL_SUB)
    tea_member, towel_member = distributor_of(tea.brand), distributor_of(towel.brand)
    # The tea distributor signed in with WeChat (commission to its openid); the towel one did not
    # (its commission goes to the platform's merchant, which owes it like a platform-flow commission).
    services.remember_openid(user=tea_member.distributor, appid=merchant.appid, openid="oDistributorTea")
    address = AddressFactory()
    _bind(address.consumer, tea_member)
    _bind(address.consumer, towel_member)

    checkout = place_order(
        consumer=address.consumer, address_id=address.pk, items=[(tea.pk, 1), (towel.pk, 2)]
    )
    payment = checkout.payment
    assert payment.gateway == "wechatpay_partner"
    tea_order, towel_order = checkout.orders.get(brand=tea.brand), checkout.orders.get(brand=towel.brand)
    assert (tea_order.paid_amount, towel_order.paid_amount) == (10000, 10000)
    _pay(wxpay, checkout)

    # One combined payment; each sub-order went to its brand's sub-merchant, frozen for sharing.
    combine = wxpay.state.combines[payment.out_trade_no]
    subs = {s.brand_id: s for s in PaymentSubOrder.objects.filter(payment=payment)}
    assert sorted(combine["_sub_orders"]) == sorted(s.out_trade_no for s in subs.values())
    for brand_id, sub_mchid in ((tea.brand_id, TEA_SUB), (towel.brand_id, TOWEL_SUB)):
        txn = wxpay.state.transactions[subs[brand_id].out_trade_no]
        assert (txn["sub_mchid"], txn["trade_state"], txn["_frozen"]) == (sub_mchid, "SUCCESS", 10000)
        assert subs[brand_id].transaction_id == txn["transaction_id"]
        assert ledger.balance(AccountCode.SUB_MERCHANT_FROZEN, brand_id=brand_id) == 10000
    assert ledger.balance(AccountCode.GATEWAY_CASH) == 0  # the platform holds none of it
    tea_order.refresh_from_db()
    assert tea_order.status == OrderStatus.PAID

    for order in (tea_order, towel_order):
        _receive(order)
    assert settle_all_due() == 0  # still frozen (7 days)
    clock.advance(timedelta(days=7, minutes=1))
    assert settle_all_due() == 2

    # Profit sharing: the exact 2% fee to the platform, the 10% commission to each distributor
    # (the towel distributor's through the platform), the rest unfrozen for the brands.
    assert wxpay.state.wallets == {"oDistributorTea": 1000}
    assert wxpay.state.merchant_received[merchant.mchid] == 200 + 200 + 1000
    assert wxpay.state.sub_balances == {TEA_SUB: 8800, TOWEL_SUB: 8800}
    for sub in subs.values():
        sharing = sub.sharings.get()
        assert sharing.unfrozen
        for headers, body in sharing_notifications(wxpay, sharing.out_order_no):
            assert services.handle_notification("wechatpay_partner", headers, body)[0] == 204
    assert ledger.balance(AccountCode.SUB_MERCHANT_FROZEN, brand_id=tea.brand_id) == 0
    assert ledger.balance(AccountCode.SUB_MERCHANT_FROZEN, brand_id=towel.brand_id) == 0
    assert ledger.balance(AccountCode.PLATFORM_CLEARING) == 0
    assert ledger.balance(AccountCode.PLATFORM_FEE_REVENUE) == -400
    assert ledger.balance(AccountCode.GATEWAY_CASH) == 1400
    towel_wallet = ledger.distributor_wallet(brand_id=towel.brand_id, user_id=towel_member.distributor_id)
    assert towel_wallet["available"] == 1000  # owed by the platform, withdrawable as usual
    assert ledger.balance(AccountCode.BRAND_PAYABLE, brand_id=tea.brand_id) == 0  # the brand holds its own

    # A full refund of the towel order after sharing: the platform returns fee + commission
    # (分账回退) to the brand's sub-merchant, which refunds the consumer.
    _refund(wxpay, towel_order, 10000, "towel")
    towel_return = ProfitSharingReturn.objects.get(sharing__sub_order=subs[towel.brand_id])
    assert (towel_return.amount, towel_return.return_mchid) == (1200, merchant.mchid)
    assert wxpay.state.sharing_returns[towel_return.out_return_no]["amount"] == 1200
    assert wxpay.state.sub_balances[TOWEL_SUB] == 0
    # Half of the tea order: the fee part returns by 分账回退; the commission part was paid to a
    # person, so it is clawed back from the distributor and owed to the brand.
    _refund(wxpay, tea_order, 5000, "tea-half")
    tea_return = ProfitSharingReturn.objects.get(sharing__sub_order=subs[tea.brand_id])
    assert tea_return.amount == 100
    assert wxpay.state.sub_balances[TEA_SUB] == 8800 + 100 - 5000
    assert wxpay.state.merchant_received[merchant.mchid] == 1400 - 1200 - 100
    assert ledger.balance(AccountCode.PLATFORM_FEE_REVENUE) == -100
    assert ledger.balance(AccountCode.GATEWAY_CASH) == 100
    assert (
        ledger.distributor_wallet(brand_id=tea.brand_id, user_id=tea_member.distributor_id)["available"]
        == -500
    )
    assert ledger.balance(AccountCode.BRAND_PAYABLE, brand_id=tea.brand_id) == -500
    tea_refund = tea_order.checkout.payment.refunds.get(sub_order=subs[tea.brand_id])
    assert sorted(ledger.entries_for(tea_refund.out_refund_no).values_list("kind", flat=True)) == [
        "commission_clawback",
        "sharing_returned",
    ]
    assert list(ledger.entries_for(tea_return.out_return_no).values_list("kind", flat=True)) == [
        "sharing_return"
    ]
    assert (
        towel_wallet
        and ledger.distributor_wallet(brand_id=towel.brand_id, user_id=towel_member.distributor_id)[
            "available"
        ]
        == 0
    )
    towel_order.refresh_from_db()
    assert towel_order.refunded_amount == 10000 and towel_order.refunded_fee == 200


def test_single_brand_payment_is_a_partner_order_and_a_refund_before_sharing_comes_from_the_frozen_money(
    wxpay, merchant
):
    tea = SkuFactory(retail_price=3000, stock=5)
    _on_service_provider(wxpay, merchant, tea, TEA_SUB)
    address = AddressFactory()
    checkout = place_order(consumer=address.consumer, address_id=address.pk, items=[(tea.pk, 2)])
    payment = checkout.payment
    _pay(wxpay, checkout)
    txn = wxpay.state.transactions[payment.out_trade_no]  # not combined: the payment is the order
    assert payment.out_trade_no not in wxpay.state.combines
    assert (txn["sp_mchid"], txn["sub_mchid"], txn["_profit_sharing"]) == (merchant.mchid, TEA_SUB, True)
    order = checkout.orders.get()
    _refund(wxpay, order, 2000, "r1")
    assert wxpay.state.transactions[payment.out_trade_no]["_frozen"] == 4000
    assert ledger.balance(AccountCode.SUB_MERCHANT_FROZEN, brand_id=tea.brand_id) == 4000
    assert ledger.balance(AccountCode.PLATFORM_CLEARING) == -4000
    assert not ProfitSharingReturn.objects.exists()


def test_a_cart_mixing_funds_flows_is_refused_and_nothing_is_written(wxpay, merchant):
    tea, towel = SkuFactory(retail_price=3000, stock=5), SkuFactory(retail_price=2000, stock=5)
    _on_service_provider(wxpay, merchant, tea, TEA_SUB)
    address = AddressFactory()
    with pytest.raises(TradeError, match="check out their goods separately"):
        place_order(consumer=address.consumer, address_id=address.pk, items=[(tea.pk, 1), (towel.pk, 1)])
    assert not Checkout.objects.exists() and not Order.objects.exists()
    tea.refresh_from_db()
    assert tea.stock == 5
    # Each on its own is fine: one through the sub-merchant, one through the platform.
    assert place_order(
        consumer=address.consumer, address_id=address.pk, items=[(tea.pk, 1)]
    ).payment.gateway == ("wechatpay_partner")
    assert place_order(
        consumer=address.consumer, address_id=address.pk, items=[(towel.pk, 1)]
    ).payment.gateway == ("sandbox")


def _two_brand_checkout(wxpay, merchant):
    tea, towel = SkuFactory(retail_price=3000, stock=5), SkuFactory(retail_price=2000, stock=5)
    _on_service_provider(wxpay, merchant, tea, TEA_SUB)
    _on_service_provider(wxpay, merchant, towel, TOWEL_SUB)
    address = AddressFactory()
    return place_order(consumer=address.consumer, address_id=address.pk, items=[(tea.pk, 1), (towel.pk, 1)])


def test_the_consumer_back_before_the_notification_is_answered_by_a_combined_query(wxpay, merchant):
    checkout = _two_brand_checkout(wxpay, merchant)
    payment = checkout.payment
    services.start_payment(payment, return_url="http://shop.test/r/", notify_url="http://shop.test/n/")
    assert services.query_and_apply(payment).status == "pending"  # not paid yet
    wxpay.pay(payment.out_trade_no, deliver=False)  # the notification is late
    assert services.query_and_apply(payment).status == "succeeded"
    assert all(s.transaction_id for s in PaymentSubOrder.objects.filter(payment=payment))
    assert ledger.balance(AccountCode.PLATFORM_CLEARING) == -5000
    assert set(checkout.orders.values_list("status", flat=True)) == {OrderStatus.PAID}


def test_an_unpaid_combined_payment_closes_every_sub_order(wxpay, merchant):
    checkout = _two_brand_checkout(wxpay, merchant)
    payment = checkout.payment
    services.start_payment(payment, return_url="http://shop.test/r/", notify_url="http://shop.test/n/")
    assert services.close_payment(payment).status == "closed"
    subs = wxpay.state.combines[payment.out_trade_no]["_sub_orders"]
    assert {wxpay.state.transactions[no]["trade_state"] for no in subs} == {"CLOSED"}


@pytest.mark.django_db(transaction=True)
def test_native_qr_of_a_combined_payment_over_http(wxpay, live_server, client):
    from fenxiao.payments.models import NotificationLog, PaymentStatus
    from fenxiao.payments.wechatpay_local.merchant import connect_merchant

    merchant = connect_merchant(wxpay, notify_url=f"{live_server.url}/payments/notify/wechatpay/")
    wxpay.auto_notify = True
    checkout = _two_brand_checkout(wxpay, merchant)
    client.force_login(checkout.consumer)
    page = client.get(f"/payments/pay/{checkout.payment.out_trade_no}/", HTTP_USER_AGENT="Mozilla/5.0 (X11)")
    code_url = re.search(r'data-code-url="([^"]+)"', page.content.decode()).group(1)
    scan = requests.get(f"{wxpay.url}/scan/", params={"code_url": code_url}, timeout=30)
    assert "¥50.00" in scan.text  # the whole cart, both brands
    requests.post(f"{wxpay.url}/scan/", params={"code_url": code_url}, timeout=30)
    assert wxpay.state.deliveries[-1][2] == 204
    checkout.payment.refresh_from_db()
    assert checkout.payment.status == PaymentStatus.SUCCEEDED
    assert NotificationLog.objects.filter(verified=True, outcome="applied success").count() == 1
    assert ledger.balance(AccountCode.GATEWAY_CASH) == 0
    wxpay.auto_notify = False


def test_sharing_the_provider_refuses_leaves_the_order_unsettled_and_the_books_unchanged(
    wxpay, merchant, caplog
):
    tea = SkuFactory(retail_price=10000, stock=5)
    _on_service_provider(wxpay, merchant, tea, TEA_SUB)
    program_of(tea.brand, level1_bps=3000, freeze_days=0)  # 30 % commission + 2 % fee: over the 30 % cap
    member = distributor_of(tea.brand)
    address = AddressFactory()
    _bind(address.consumer, member)
    checkout = place_order(consumer=address.consumer, address_id=address.pk, items=[(tea.pk, 1)])
    _pay(wxpay, checkout)
    order = checkout.orders.get()
    _receive(order)
    clock.advance(timedelta(days=1))
    assert settle_all_due() == 0
    order.refresh_from_db()
    assert order.settled_at is None
    assert "最大分账比例" in caplog.text
    assert wxpay.state.transactions[checkout.payment.out_trade_no]["_frozen"] == 10000
    assert ledger.balance(AccountCode.SUB_MERCHANT_FROZEN, brand_id=tea.brand_id) == 10000
    assert ledger.balance(AccountCode.PLATFORM_FEE_REVENUE) == 0
