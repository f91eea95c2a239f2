from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fenxiao.accounts.roles import BrandRole
from fenxiao.accounts.tests.factories import BrandFactory, BrandStaffFactory, UserFactory, sms_code_for
from fenxiao.catalog import services as catalog
from fenxiao.catalog.tests.factories import SkuFactory
from fenxiao.core import clock
from fenxiao.distribution import services
from fenxiao.distribution.binding import attribution_for_order
from fenxiao.distribution.models import (
    BindingMode,
    Commission,
    CommissionStatus,
    DistributionProgram,
    DistributorNotice,
    LinkKind,
    MembershipStatus,
    ProductCommissionRate,
    StoreSkuPrice,
    Visit,
)
from fenxiao.ledger import selectors as ledger
from fenxiao.ledger.models import AccountCode
from fenxiao.trade import fulfilment, refunds
from fenxiao.trade.checkout import place_order
from fenxiao.trade.models import ShippingRule
from fenxiao.trade.tests.factories import AddressFactory, pay_checkout

from .factories import distributor_of, program_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def brand_setup():
    sku = SkuFactory(retail_price=10000, price_min=9000, price_max=12000, stock=100)
    owner = BrandStaffFactory(brand=sku.brand, role=BrandRole.OWNER)
    return sku, owner


def _buy(consumer, sku, quantity=1):
    address = AddressFactory(consumer=consumer)
    checkout = place_order(consumer=consumer, address_id=address.pk, items=[(sku.pk, quantity)])
    pay_checkout(checkout)
    return checkout.orders.get()


def test_rates_can_never_exceed_100_percent_or_make_three_levels(brand_setup):
    _, owner = brand_setup
    services.program_for(owner.brand)
    with pytest.raises(ValidationError, match="exceed the price paid"):
        services.update_program(actor=owner, level1_bps=8000, level2_enabled=True, level2_bps=3000)
    with pytest.raises(IntegrityError), transaction.atomic():
        DistributionProgram.objects.filter(brand=owner.brand).update(level1_bps=9000, level2_bps=2000)
    assert not hasattr(DistributionProgram, "level3_bps") and not hasattr(DistributionProgram, "join_fee")
    with pytest.raises(IntegrityError), transaction.atomic():
        Commission.objects.create(
            order_id=1,
            distributor=owner.user,
            level=3,
            base_amount=1,
            rate_bps=1,
            amount=1,
            created_at=clock.now(),
        )


def test_customer_service_cannot_change_the_program(brand_setup):
    sku, _ = brand_setup
    with pytest.raises(PermissionDenied):
        services.update_program(
            actor=BrandStaffFactory(brand=sku.brand, role=BrandRole.CUSTOMER_SERVICE), level1_bps=100
        )


def test_store_price_inside_band_and_clamped_when_band_narrows(brand_setup):
    sku, owner = brand_setup
    member = distributor_of(sku.brand)
    with pytest.raises(ValidationError, match="between ¥90.00 and ¥120.00"):
        services.set_store_price(distributor=member.distributor, sku_id=sku.pk, price=12500)
    services.set_store_price(distributor=member.distributor, sku_id=sku.pk, price=11800)
    catalog.bulk_update_skus(actor=owner, changes=[catalog.SkuChange(sku_id=sku.pk, price_max=11000)])
    assert StoreSkuPrice.objects.get().price == 11000
    assert "¥118.00 to ¥110.00" in DistributorNotice.objects.get(distributor=member.distributor).message


def test_applied_or_suspended_distributor_cannot_price_or_share(brand_setup):
    sku, owner = brand_setup
    member = distributor_of(sku.brand, status=MembershipStatus.APPLIED)
    with pytest.raises(PermissionDenied):
        services.set_store_price(distributor=member.distributor, sku_id=sku.pk, price=None)
    services.decide_membership(actor=owner, membership_id=member.pk, action="approve")
    services.share_link(distributor=member.distributor, brand=sku.brand)
    services.decide_membership(actor=owner, membership_id=member.pk, action="suspend", reason="违规")
    with pytest.raises(PermissionDenied):
        services.share_link(
            distributor=member.distributor, brand=sku.brand, kind=LinkKind.PRODUCT, product=sku.product
        )


@pytest.mark.parametrize(
    ("mode", "second_link_takes_over"), [(BindingMode.FIRST_TOUCH, False), (BindingMode.LAST_TOUCH, True)]
)
def test_binding_modes_across_time(brand_setup, mode, second_link_takes_over):
    sku, _ = brand_setup
    program_of(sku.brand, binding_mode=mode, binding_days=30)
    first, second = distributor_of(sku.brand), distributor_of(sku.brand)
    consumer = UserFactory()
    link_a = services.share_link(distributor=first.distributor, brand=sku.brand)
    link_b = services.share_link(distributor=second.distributor, brand=sku.brand)
    services.record_visit(link=link_a, visitor=consumer)
    clock.advance(timedelta(days=3))
    services.record_visit(link=link_b, visitor=consumer)
    expected = second.distributor if second_link_takes_over else first.distributor
    assert attribution_for_order(consumer=consumer, brand=sku.brand).distributor == expected
    clock.advance(timedelta(days=31))
    assert attribution_for_order(consumer=consumer, brand=sku.brand).distributor is None  # expired
    services.record_visit(link=link_b, visitor=consumer)
    assert attribution_for_order(consumer=consumer, brand=sku.brand).distributor == second.distributor


def test_permanent_binding(brand_setup):
    sku, _ = brand_setup
    program_of(sku.brand, binding_days=0)
    member, consumer = distributor_of(sku.brand), UserFactory()
    services.record_visit(
        link=services.share_link(distributor=member.distributor, brand=sku.brand), visitor=consumer
    )
    clock.advance(timedelta(days=3650))
    assert attribution_for_order(consumer=consumer, brand=sku.brand).distributor == member.distributor


def test_on_signup_mode_binds_only_new_signups(client, brand_setup):
    sku, _ = brand_setup
    program_of(sku.brand, binding_mode=BindingMode.ON_SIGNUP)
    member = distributor_of(sku.brand)
    link = services.share_link(distributor=member.distributor, brand=sku.brand)
    existing = UserFactory()
    services.record_visit(link=link, visitor=existing)
    assert attribution_for_order(consumer=existing, brand=sku.brand).distributor is None
    client.get(f"/s/{link.code}")
    client.post(
        "/accounts/signup/",
        {
            "phone": "13712340000",
            "sms_code": sms_code_for("13712340000"),
            "password1": "Tea-leaf-2026!",
            "password2": "Tea-leaf-2026!",
        },
    )
    from fenxiao.accounts.models import User

    newcomer = User.objects.get(phone="13712340000")
    assert attribution_for_order(consumer=newcomer, brand=sku.brand).distributor == member.distributor


def sign_in(client, user) -> None:
    """Through the sign-in form, as a browser does (``force_login`` sends no cookies)."""
    user.set_password("Tea-leaf-2026!")
    user.save()
    answer = client.post("/accounts/signin/", {"identifier": user.phone, "password": "Tea-leaf-2026!"})
    assert answer.status_code == 302, answer.content[:500]


def test_share_link_redirect_records_visit_and_binds_after_sign_in(client, brand_setup):
    sku, _ = brand_setup
    member = distributor_of(sku.brand)
    link = services.share_link(
        distributor=member.distributor, brand=sku.brand, kind=LinkKind.PRODUCT, product=sku.product
    )
    response = client.get(f"/s/{link.code}")
    assert response.status_code == 302 and response.url == f"/shop/p/{sku.product_id}/"
    assert link.visits.count() == 1
    assert "sessionid" not in response.cookies  # no server-side session for a click (see share_cookies.py)
    assert response.cookies["fx_vid"].value == link.visits.get().session_key
    consumer = UserFactory()
    sign_in(client, consumer)
    assert attribution_for_order(consumer=consumer, brand=sku.brand).distributor == member.distributor
    assert client.get("/s/nope").status_code == 404


def test_share_cookie_cannot_be_forged(client, brand_setup):
    sku, _ = brand_setup
    member = distributor_of(sku.brand)
    link = services.share_link(distributor=member.distributor, brand=sku.brand)
    client.cookies["fx_share"] = link.code  # unsigned: ignored
    consumer = UserFactory()
    sign_in(client, consumer)
    assert attribution_for_order(consumer=consumer, brand=sku.brand).distributor is None


def test_repeat_clicks_keep_one_visitor_id(client, brand_setup):
    sku, _ = brand_setup
    member = distributor_of(sku.brand)
    link = services.share_link(distributor=member.distributor, brand=sku.brand)
    client.get(f"/s/{link.code}")
    client.get(f"/s/{link.code}")
    assert link.visits.count() == 2
    assert len(set(link.visits.values_list("session_key", flat=True))) == 1


def _link_reads(client, code: str) -> tuple[int, int]:
    """(the click's status, how many statements read the share-link table)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.cookies.clear()
    with CaptureQueriesContext(connection) as captured:
        status = client.get(f"/s/{code}").status_code
    reads = [q for q in captured.captured_queries if 'FROM "distribution_sharelink"' in q["sql"]]
    return status, len(reads)


def test_a_viral_link_is_read_once_per_cache_period_and_forgotten_when_it_changes(client, brand_setup):
    sku, _ = brand_setup
    member = distributor_of(sku.brand)
    link = services.share_link(
        distributor=member.distributor, brand=sku.brand, kind=LinkKind.PRODUCT, product=sku.product
    )
    assert _link_reads(client, link.code) == (302, 1)
    assert _link_reads(client, link.code) == (302, 0)  # the next person: the link from the hot cache
    assert link.visits.count() == 2  # every click is still recorded
    link.kind = LinkKind.STORE
    link.save()
    assert _link_reads(client, link.code) == (302, 1)
    assert client.get(f"/s/{link.code}").url == reverse("distribution:micro_store", args=[link.code])
    code = link.code
    link.delete()
    assert _link_reads(client, code) == (404, 1)


def test_an_unknown_code_is_not_remembered(client, brand_setup):
    sku, _ = brand_setup
    member = distributor_of(sku.brand)
    assert _link_reads(client, "late-link-1")[0] == 404
    link = services.share_link(distributor=member.distributor, brand=sku.brand)
    type(link).objects.filter(pk=link.pk).update(code="late-link-1")  # no signal: nothing to forget
    assert _link_reads(client, "late-link-1") == (302, 1)


def test_self_purchase_commission_on_and_off(brand_setup):
    sku, _ = brand_setup
    member = distributor_of(sku.brand)
    services.record_visit(
        link=services.share_link(distributor=member.distributor, brand=sku.brand), visitor=member.distributor
    )
    assert attribution_for_order(consumer=member.distributor, brand=sku.brand).distributor is None
    program_of(sku.brand, self_purchase_commission=True)
    assert (
        attribution_for_order(consumer=member.distributor, brand=sku.brand).distributor == member.distributor
    )


def test_commissions_pending_then_available_after_freeze_then_clawed_back(brand_setup):
    sku, owner = brand_setup
    program_of(sku.brand, level1_bps=1000, level2_enabled=True, level2_bps=500, freeze_days=7)
    inviter = distributor_of(sku.brand)
    member = distributor_of(sku.brand, inviter=inviter.distributor)
    consumer = UserFactory()
    services.set_store_price(distributor=member.distributor, sku_id=sku.pk, price=11000)
    services.record_visit(
        link=services.share_link(distributor=member.distributor, brand=sku.brand), visitor=consumer
    )
    order = _buy(consumer, sku, quantity=2)
    assert order.lines.get().unit_price == 11000  # the distributor's store price
    level1, level2 = order.commissions.order_by("level")
    assert (level1.distributor_id, level1.amount, level2.distributor_id, level2.amount) == (
        member.distributor_id,
        2200,
        inviter.distributor_id,
        1100,
    )
    wallet = ledger.distributor_wallet(brand_id=sku.brand_id, user_id=member.distributor_id)
    assert wallet["pending"] == 2200 and wallet["available"] == 0
    fulfilment.ship(actor=owner, order_id=order.pk, carrier="顺丰", tracking_no="1")
    fulfilment.confirm_receipt(consumer=consumer, order_id=order.pk)
    assert fulfilment.settle(order.pk) is None  # frozen for 7 days
    clock.advance(timedelta(days=7, minutes=1))
    assert fulfilment.settle(order.pk) is not None
    wallet = ledger.distributor_wallet(brand_id=sku.brand_id, user_id=member.distributor_id)
    assert wallet["pending"] == 0 and wallet["available"] == 2200
    refunds.refund_order(order_id=order.pk, amount=11000, reason="退一件", reference="half")
    level1.refresh_from_db()
    assert level1.reversed_amount == 1100
    assert (
        ledger.distributor_wallet(brand_id=sku.brand_id, user_id=member.distributor_id)["available"] == 1100
    )
    assert ledger.trial_balance() == 0 and ledger.balances_match_lines()


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    before=st.integers(0, 5000),
    cuts=st.lists(st.integers(1, 10**6), min_size=0, max_size=3, unique=True),
)
def test_refunds_after_settlement_in_parts_take_back_everything_exactly(before, cuts):
    """However the refunds are split, refunding all of a settled order takes back all of each
    commission, the fee and the brand's part (nothing left over, nothing negative on the way)."""
    sku = SkuFactory(retail_price=10000, stock=10)
    ShippingRule.objects.create(brand=sku.brand, flat_fee=1000)
    owner = BrandStaffFactory(brand=sku.brand, role=BrandRole.OWNER)
    program_of(sku.brand, level1_bps=1000, level2_enabled=True, level2_bps=300, freeze_days=0)
    inviter = distributor_of(sku.brand)
    member, consumer = distributor_of(sku.brand, inviter=inviter.distributor), UserFactory()
    services.record_visit(
        link=services.share_link(distributor=member.distributor, brand=sku.brand), visitor=consumer
    )
    order = _buy(consumer, sku, quantity=2)
    if before:
        refunds.refund_order(order_id=order.pk, amount=before, reason="x", reference="before")
    fulfilment.ship(actor=owner, order_id=order.pk, carrier="SF", tracking_no="y")
    fulfilment.confirm_receipt(consumer=consumer, order_id=order.pk)
    assert fulfilment.settle(order.pk) is not None
    order.refresh_from_db()
    rest = order.paid_amount - order.refunded_amount
    bounds = sorted({c % rest for c in cuts} - {0})
    parts = [b - a for a, b in zip([0, *bounds], [*bounds, rest], strict=True)]
    for i, part in enumerate(parts):
        refunds.refund_order(order_id=order.pk, amount=part, reason="x", reference=f"after{i}")
        order.refresh_from_db()
        assert order.refunded_fee <= order.settled_fee
        for c in Commission.objects.filter(order=order):
            assert 0 <= c.reversed_amount <= c.amount
    assert all(c.reversed_amount == c.amount for c in Commission.objects.filter(order=order))
    assert order.refunded_fee == order.settled_fee
    for user in (member.distributor_id, inviter.distributor_id):
        assert ledger.distributor_wallet(brand_id=sku.brand_id, user_id=user)["available"] == 0
    assert ledger.balance(AccountCode.BRAND_PAYABLE, brand_id=sku.brand_id) == 0
    assert ledger.trial_balance() == 0 and ledger.balances_match_lines()


def test_per_product_override_and_partial_refund_before_settlement(brand_setup):
    sku, _ = brand_setup
    ProductCommissionRate.objects.create(product=sku.product, level1_bps=2000)
    member = distributor_of(sku.brand)
    consumer = UserFactory()
    services.record_visit(
        link=services.share_link(distributor=member.distributor, brand=sku.brand), visitor=consumer
    )
    order = _buy(consumer, sku, quantity=4)
    commission = order.commissions.get()
    assert commission.amount == 8000
    refunds.refund_order(order_id=order.pk, amount=10000, reason="退一件", reference="one")
    commission.refresh_from_db()
    assert commission.reversed_amount == 2000 and commission.status == CommissionStatus.PENDING
    assert ledger.distributor_wallet(brand_id=sku.brand_id, user_id=member.distributor_id)["pending"] == 6000


def test_suspended_distributor_stops_earning_but_keeps_earned(brand_setup):
    sku, owner = brand_setup
    member, consumer = distributor_of(sku.brand), UserFactory()
    services.record_visit(
        link=services.share_link(distributor=member.distributor, brand=sku.brand), visitor=consumer
    )
    first = _buy(consumer, sku)
    services.decide_membership(actor=owner, membership_id=member.pk, action="suspend", reason="违规")
    second = _buy(consumer, sku)
    assert first.commissions.count() == 1 and second.distributor is None and second.commissions.count() == 0
    assert ledger.distributor_wallet(brand_id=sku.brand_id, user_id=member.distributor_id)["pending"] == 1000


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(st.tuples(st.integers(1, 3), st.integers(0, 30000), st.booleans()), min_size=1, max_size=6))
def test_wallet_equals_commissions_minus_clawbacks(purchases):
    sku = SkuFactory(retail_price=10000, price_min=9000, price_max=12000, stock=100)
    owner = BrandStaffFactory(brand=sku.brand, role=BrandRole.OWNER)
    member, consumer = distributor_of(sku.brand), UserFactory()
    program_of(sku.brand, freeze_days=0)
    services.record_visit(
        link=services.share_link(distributor=member.distributor, brand=sku.brand), visitor=consumer
    )
    paid_goods = 0
    for quantity, refund, settle_first in purchases:
        order = _buy(consumer, sku, quantity)
        paid_goods += order.paid_amount - order.shipping_amount
        if settle_first:
            fulfilment.ship(actor=owner, order_id=order.pk, carrier="SF", tracking_no="y")
            fulfilment.confirm_receipt(consumer=consumer, order_id=order.pk)
            fulfilment.settle(order.pk)
        refund = min(refund, order.paid_amount)
        if refund:
            refunds.refund_order(order_id=order.pk, amount=refund, reason="x", reference=f"r{order.pk}")
    wallet = ledger.distributor_wallet(brand_id=sku.brand_id, user_id=member.distributor_id)
    earned = sum(
        c.amount - c.reversed_amount for c in Commission.objects.filter(distributor=member.distributor)
    )
    assert wallet["pending"] + wallet["available"] + wallet["withdrawn"] + wallet["withdrawing"] == earned
    assert sum(c.amount for c in Commission.objects.filter(distributor=member.distributor)) <= paid_goods
    assert ledger.trial_balance() == 0


def test_levels_set_the_rate_and_upgrade_on_settled_sales(brand_setup):
    sku, owner = brand_setup
    program_of(sku.brand, freeze_days=0)
    with pytest.raises(ValidationError):
        services.add_level(actor=owner, name="超级", rate_bps=10001)
    gold = services.add_level(actor=owner, name="金牌", rate_bps=2000, min_sales=20000)
    member, consumer = distributor_of(sku.brand), UserFactory()
    services.record_visit(
        link=services.share_link(distributor=member.distributor, brand=sku.brand), visitor=consumer
    )
    first = _buy(consumer, sku, quantity=2)
    assert first.commissions.get().rate_bps == 1000
    fulfilment.ship(actor=owner, order_id=first.pk, carrier="SF", tracking_no="y")
    fulfilment.confirm_receipt(consumer=consumer, order_id=first.pk)
    fulfilment.settle(first.pk)
    member.refresh_from_db()
    assert member.level == gold
    second = _buy(consumer, sku, quantity=1)
    assert (second.commissions.get().rate_bps, second.commissions.get().amount) == (2000, 2000)
    bronze = services.add_level(actor=owner, name="铜牌", rate_bps=500, min_sales=0)
    services.upgrade_level(brand_id=sku.brand_id, distributor_id=member.distributor_id)
    member.refresh_from_db()
    assert member.level == gold != bronze  # never downgraded silently


def test_application_fields_and_invitation_through_the_centre(client, brand_setup):
    sku, owner = brand_setup
    services.update_program(
        actor=owner,
        application_fields=[{"label": "微信号", "required": True}],
        level2_enabled=True,
        level2_bps=300,
    )
    with pytest.raises(ValidationError):
        services.update_program(actor=owner, application_fields=[{"required": True}])
    inviter = distributor_of(sku.brand)
    invite = services.share_link(distributor=inviter.distributor, brand=sku.brand, kind=LinkKind.INVITE)
    newcomer = UserFactory()
    services.become_distributor(user=newcomer, store_name="新人小店")
    client.force_login(newcomer)
    client.get(f"/s/{invite.code}")
    client.post(f"/d/join/{sku.brand_id}/", {})
    assert not newcomer.distributor_memberships.exists()  # the required answer was missing
    client.post(f"/d/join/{sku.brand_id}/", {"answer:微信号": "xiaoya"})
    membership = newcomer.distributor_memberships.get()
    assert membership.answers == {"微信号": "xiaoya"} and membership.inviter == inviter.distributor


def test_store_link_opens_the_micro_store_at_the_distributors_prices(client, brand_setup):
    sku, _ = brand_setup
    member = distributor_of(sku.brand)
    services.set_store_price(distributor=member.distributor, sku_id=sku.pk, price=10800)
    link = services.share_link(distributor=member.distributor, brand=sku.brand)
    response = client.get(f"/s/{link.code}", follow=True)
    body = response.content.decode()
    assert response.status_code == 200 and "¥108.00" in body and sku.product.title in body
    invitee = distributor_of(sku.brand, inviter=member.distributor)
    client.force_login(member.distributor)
    assert invitee.distributor.distributor.store_name in client.get("/d/invitees/").content.decode()
    client.force_login(invitee.distributor)
    assert member.distributor.distributor.store_name not in client.get("/d/invitees/").content.decode()


def test_store_settings_with_validated_avatar(client, brand_setup):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    sku, _ = brand_setup
    member = distributor_of(sku.brand)
    client.force_login(member.distributor)
    bad = client.post(
        "/d/store/",
        {"store_name": "新名字", "avatar": SimpleUploadedFile("a.jpg", b"not an image")},
        follow=True,
    )
    assert "not a readable image" in bad.content.decode()
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (1, 2, 3)).save(out, "PNG")
    client.post(
        "/d/store/",
        {"store_name": "小雅茶铺", "intro": "好茶", "avatar": SimpleUploadedFile("a.png", out.getvalue())},
    )
    member.distributor.distributor.refresh_from_db()
    profile = member.distributor.distributor
    assert profile.store_name == "小雅茶铺" and profile.avatar.name.endswith(".png")


def test_product_page_shows_the_store_price_to_the_distributors_visitors(client, brand_setup):
    sku, _ = brand_setup
    member = distributor_of(sku.brand)
    services.set_store_price(distributor=member.distributor, sku_id=sku.pk, price=10800)
    link = services.share_link(
        distributor=member.distributor, brand=sku.brand, kind=LinkKind.PRODUCT, product=sku.product
    )
    assert "¥100.00" in client.get(f"/shop/p/{sku.product_id}/").content.decode()
    body = client.get(f"/s/{link.code}", follow=True).content.decode()
    assert "¥108.00" in body and "¥100.00" not in body
    consumer = UserFactory()
    sign_in(client, consumer)  # binds through the pending link (signed cookie)
    assert "¥108.00" in client.get(f"/shop/p/{sku.product_id}/").content.decode()
    other = UserFactory()
    client.force_login(other)  # not through the sign-in form: no pending link applies
    assert "¥100.00" in client.get(f"/shop/p/{sku.product_id}/").content.decode()


def test_cart_shows_the_price_checkout_will_charge(client, brand_setup):
    sku, _ = brand_setup
    member, consumer = distributor_of(sku.brand), UserFactory()
    services.set_store_price(distributor=member.distributor, sku_id=sku.pk, price=10800)
    services.record_visit(
        link=services.share_link(distributor=member.distributor, brand=sku.brand), visitor=consumer
    )
    client.force_login(consumer)
    client.post("/trade/cart/add/", {"sku_id": sku.pk, "quantity": 2})
    body = client.get("/trade/cart/").content.decode()
    assert "¥108.00" in body and "¥216.00" in body and "¥100.00" not in body


def test_an_anonymous_click_writes_the_same_rows_in_one_statement_as_the_orm_path():
    """PostgreSQL writes an anonymous visit, its event and the event's delivery jobs with one
    statement (``insert_and_publish``); SQLite through the ORM. The rows are the same."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from fenxiao.core.models import OutboxEntry, OutboxEvent
    from fenxiao.distribution.share_links import _record_visit

    member = distributor_of(BrandFactory())
    link = services.share_link(distributor=member.distributor, brand=member.brand)

    def written(record) -> tuple:
        with CaptureQueriesContext(connection) as captured:
            visit = record(link=link, visitor=AnonymousUser(), session_key="v" * 50)
        event = OutboxEvent.objects.filter(topic="share.visited").latest("id")
        jobs = list(
            OutboxEntry.objects.filter(payload__event_id=event.pk)
            .order_by("id")
            .values_list(
                "name", "payload", "status", "max_attempts", "unique_key", "ordering_key", "attempts"
            )
        )
        saved = Visit.objects.get(pk=visit.pk)
        assert (saved.link_id, saved.visitor_id, saved.session_key) == (link.pk, None, "v" * 40)
        assert event.payload == {"visit_id": visit.pk, "brand_id": link.brand_id}
        assert jobs
        return (
            event.aggregate,
            [(n, {**p, "event_id": None}, s, m, u, o, a) for n, p, s, m, u, o, a in jobs],
            len(captured),
        )

    fast, orm = written(services.record_visit), written(_record_visit)
    assert fast[:2] == orm[:2]
    assert fast[2] == (1 if connection.vendor == "postgresql" else orm[2])
