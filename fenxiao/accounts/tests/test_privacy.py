"""A consumer exports and erases its personal data; the brands' books stay whole."""

import json

import pytest

from fenxiao.accounts import privacy
from fenxiao.accounts.models import User
from fenxiao.accounts.tests.factories import DEFAULT_PASSWORD, BrandStaffFactory, UserFactory
from fenxiao.catalog.tests.factories import SkuFactory
from fenxiao.crm.models import Member
from fenxiao.distribution.models import CustomerBinding
from fenxiao.ledger import selectors as ledger
from fenxiao.payments.models import WechatIdentity
from fenxiao.trade.checkout import place_order
from fenxiao.trade.models import Address, Order, OrderStatus
from fenxiao.trade.tests.factories import AddressFactory, pay_checkout

pytestmark = pytest.mark.django_db


@pytest.fixture
def buyer():
    address = AddressFactory(name="王小明", phone="13912340000", detail="文三路 100 号 3 单元")
    sku = SkuFactory(stock=5, product__title="龙井")
    checkout = place_order(consumer=address.consumer, address_id=address.pk, items=[(sku.pk, 1)])
    pay_checkout(checkout)
    WechatIdentity.objects.create(user=address.consumer, appid="wxapp", openid="o-secret-openid")
    CustomerBinding.objects.create(
        brand=sku.brand, consumer=address.consumer, distributor=UserFactory(), bound_at=checkout.created_at
    )
    return address.consumer


def _complete_orders(user):
    Order.objects.filter(consumer=user).update(status=OrderStatus.COMPLETED)


def test_export_holds_my_data_and_nobody_elses(client, buyer):
    other = AddressFactory(name="李四")
    client.force_login(buyer)
    response = client.get("/accounts/me/privacy/export.json")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.content)
    assert data["account"]["phone"] == buyer.phone
    assert [a["name"] for a in data["trade"]["addresses"]] == ["王小明"]
    assert data["trade"]["orders"][0]["lines"][0]["title"] == "龙井"
    assert data["payments"]["wechat_identities"] == [{"appid": "wxapp", "openid": "o-secret-openid"}]
    assert len(data["distribution"]["bound_to"]) == 1
    assert "crm" in data and "aftersales" in data
    assert "李四" not in response.content.decode() and other.consumer.phone not in response.content.decode()


def test_export_needs_sign_in(client):
    assert client.get("/accounts/me/privacy/export.json").status_code == 302


def test_erasure_waits_for_orders_in_progress(client, buyer):
    client.force_login(buyer)
    response = client.post("/accounts/me/privacy/erase/", {"password": DEFAULT_PASSWORD, "confirm": "yes"})
    assert response.status_code == 400
    assert "orders that are not completed or cancelled yet" in response.content.decode()
    buyer.refresh_from_db()
    assert buyer.is_active and buyer.phone and Address.objects.filter(consumer=buyer).exists()


@pytest.mark.parametrize(
    ("balance", "reason"),
    [(-500, "still holds money: withdraw it first"), (300, "owes money back for refunded orders")],
)
def test_erasure_waits_for_a_wallet_that_is_not_settled(balance, reason):
    """A credit balance is money the distributor holds; a debit one a claw-back it owes."""
    from fenxiao.ledger.models import AccountCode, LedgerAccount

    distributor = UserFactory()
    assert privacy.erasure_blockers(distributor) == []
    LedgerAccount.objects.create(
        code=AccountCode.COMMISSION_AVAILABLE,
        brand=SkuFactory().brand,
        user=distributor,
        sign_rule="any",
        balance=balance,
    )
    (blocker,) = privacy.erasure_blockers(distributor)
    assert reason in blocker


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"password": "wrong", "confirm": "yes"}, "password is not right"),
        ({"password": DEFAULT_PASSWORD}, "Tick the box"),
    ],
)
def test_erasure_needs_the_password_and_the_confirmation(client, buyer, form, message):
    _complete_orders(buyer)
    client.force_login(buyer)
    response = client.post("/accounts/me/privacy/erase/", form)
    assert response.status_code == 400 and message in response.content.decode()
    assert User.objects.get(pk=buyer.pk).is_active


def test_erasure_anonymises_and_keeps_the_books(client, buyer):
    _complete_orders(buyer)
    order = Order.objects.get(consumer=buyer)
    balance_before = ledger.trial_balance()
    phone = buyer.phone
    assert Member.objects.filter(consumer=buyer).update(notes="喜欢绿茶") == 1
    client.force_login(buyer)
    response = client.post("/accounts/me/privacy/erase/", {"password": DEFAULT_PASSWORD, "confirm": "yes"})
    assert response.status_code == 302 and response["Location"] == "/accounts/erased/"

    user = User.objects.get(pk=buyer.pk)
    assert (user.phone, user.is_active, user.has_usable_password()) == (None, False, False)
    assert user.email.endswith("@deleted.invalid") and user.display_name == privacy.DELETED_NAME
    kept = Order.objects.get(pk=order.pk)
    assert (kept.paid_amount, kept.status, kept.brand_id) == (order.paid_amount, order.status, order.brand_id)
    assert kept.address == {
        "province": "浙江省",
        "city": "杭州市",
        "name": "",
        "phone": "",
        "district": "",
        "detail": "",
    }
    assert not Address.objects.filter(consumer=buyer).exists()
    assert not WechatIdentity.objects.filter(user=buyer).exists()
    assert not CustomerBinding.objects.filter(consumer=buyer).exists()
    assert not Member.objects.filter(consumer=buyer).exists()
    assert not Member.objects.filter(notes="喜欢绿茶").exists()
    assert ledger.trial_balance() == balance_before == 0
    # Signed out everywhere, and the old credentials no longer work.
    assert client.get("/ping").status_code == 401
    assert (
        client.post("/accounts/signin/", {"identifier": phone, "password": DEFAULT_PASSWORD}).status_code
        == 400
    )


def test_staff_cannot_erase_themselves_here(client):
    staff = BrandStaffFactory().user
    client.force_login(staff)
    page = client.get("/accounts/me/privacy/")
    assert "leave those roles first" in page.content.decode()
    response = client.post("/accounts/me/privacy/erase/", {"password": DEFAULT_PASSWORD, "confirm": "yes"})
    assert response.status_code == 400 and User.objects.get(pk=staff.pk).is_active
