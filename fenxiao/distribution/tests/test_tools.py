"""Distributor tools: supply-market cards (picture, band, suggested price, 赚 ¥x by the commission
rule, sort and filter), the share page (copy, QR, poster), the material library (the brand's
console keeps it, only for its own brand; distributors of the brand read it), the team and
earnings views, the store decoration, and the application-form builder."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile

from fenxiao.accounts.roles import BrandRole
from fenxiao.accounts.tests.factories import BrandStaffFactory, UserFactory
from fenxiao.aftersales.tests.factories import photo
from fenxiao.catalog.models import ProductImage
from fenxiao.catalog.tests.factories import ProductFactory, SkuFactory
from fenxiao.core.money import apply_bps
from fenxiao.core.testing import fill_route, routes_of_module
from fenxiao.distribution import materials, selectors, services
from fenxiao.distribution.models import (
    DistributionProgram,
    Material,
    ProductCommissionRate,
    StoreDecoration,
    StoreSection,
)

from .factories import distributor_of, program_of

pytestmark = pytest.mark.django_db
MATERIAL_CONSOLE = "fenxiao.distribution.material_console_views"


@pytest.fixture
def market():
    """A brand with two products (one with an override rate of 25%), a distributor at 10%."""
    tea = SkuFactory(product__title="绿茶", retail_price=10000, price_min=9000, price_max=12000)
    brand = tea.brand
    cup = SkuFactory(
        product=ProductFactory(brand=brand, title="茶杯"), retail_price=4000, price_min=3500, price_max=5000
    )
    ProductCommissionRate.objects.create(product=cup.product, level1_bps=2500)
    program_of(brand, level1_bps=1000)
    member = distributor_of(brand)
    return {"tea": tea, "cup": cup, "brand": brand, "member": member, "user": member.distributor}


def test_market_cards_earn_at_the_distributors_price_by_the_commission_rule(market):
    services.set_store_price(distributor=market["user"], sku_id=market["tea"].pk, price=11000)
    cards = {c["product"].title: c for c in selectors.market_cards(market["user"], market["brand"].pk)}
    assert cards["绿茶"]["earn"] == apply_bps(11000, 1000) == 1100  # its own price, program rate
    assert cards["茶杯"]["earn"] == apply_bps(4000, 2500) == 1000  # retail, the override rate
    assert cards["绿茶"]["band"] == (9000, 12000) and cards["绿茶"]["suggested"] == 10000
    by_earn = selectors.market_cards(market["user"], market["brand"].pk, sort="earn")
    by_rate = selectors.market_cards(market["user"], market["brand"].pk, sort="rate")
    assert [c["product"].title for c in by_earn] == ["绿茶", "茶杯"]
    assert [c["product"].title for c in by_rate] == ["茶杯", "绿茶"]
    assert [
        c["product"].title
        for c in selectors.market_cards(market["user"], market["brand"].pk, min_rate_bps=2000)
    ] == ["茶杯"]
    assert [
        c["product"].title
        for c in selectors.market_cards(market["user"], market["brand"].pk, picked_only=True)
    ] == ["绿茶"]


def test_market_page_shows_picture_earn_and_the_way_back(client, market):
    image = ProductImage(product=market["tea"].product)
    image.image.save("tea.png", ContentFile(photo().read()), save=False)
    image.thumbnail.save("tea-thumb.png", ContentFile(photo().read()), save=True)
    client.force_login(market["user"])
    page = client.get(
        f"/d/market/{market['brand'].pk}/?sort=earn&min_rate=abc", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    body = page.content.decode()
    assert page.status_code == 200
    assert image.thumbnail.url in body and "赚 ¥10.00" in body and "建议零售价" in body and "/d/" in body
    assert "返回分销中心" in body


def test_share_page_has_copy_qr_and_poster(client, market):
    services.set_store_price(distributor=market["user"], sku_id=market["tea"].pk, price=11000)
    client.force_login(market["user"])
    body = client.get(f"/d/share/{market['brand'].pk}/").content.decode()
    link = services.share_link(
        distributor=market["user"], brand=market["brand"], kind="product", product=market["tea"].product
    )
    assert 'data-copy="#store-link"' in body and "<svg" in body
    assert f'src="/d/poster/{link.code}.png"' in body and f'download="poster-{link.code}.png"' in body


# ---- the material library ---------------------------------------------------------------


def test_brand_keeps_materials_and_its_distributors_read_them(client, market):
    owner = BrandStaffFactory(brand=market["brand"], role=BrandRole.OWNER)
    client.force_login(owner.user)
    url = f"/console/b/{market['brand'].pk}/distribution/materials/"
    response = client.post(
        url,
        {
            "text": "明前绿茶，一杯回甘",
            "product": market["tea"].product_id,
            "images": [photo(), photo(color="blue")],
        },
    )
    assert response.status_code == 302
    material = Material.objects.get()
    assert material.images.count() == 2 and material.product == market["tea"].product
    # changes keep, drop and add pictures
    keep, drop = material.images.all()
    client.post(f"{url}{material.pk}/", {"text": "新文案", "remove_image": [drop.pk], "images": [photo()]})
    material.refresh_from_db()
    assert material.text == "新文案" and material.images.count() == 2 and keep in material.images.all()

    client.force_login(market["user"])
    body = client.get("/d/materials/").content.decode()
    assert "新文案" in body and f'data-copy="#material-text-{material.pk}"' in body
    assert body.count("save-picture") == 2 and keep.image.url in body
    stranger = distributor_of(SkuFactory().brand).distributor  # carries another brand only
    client.force_login(stranger)
    assert "新文案" not in client.get("/d/materials/").content.decode()
    client.force_login(UserFactory())  # not a distributor at all
    assert "新文案" not in client.get("/d/materials/").content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"text": "  "}, "Write the copy text"),
        ({"text": "x" * 1001}, "at most 1000"),
        ({"text": "ok", "product": "OTHER"}, "Choose one of your own products"),
        ({"text": "ok", "images": "BAD"}, "image"),
        ({"text": "ok", "images": "TEN"}, "At most 9 pictures"),
    ],
)
def test_bad_material_is_refused_and_nothing_written(client, market, data, message):
    owner = BrandStaffFactory(brand=market["brand"], role=BrandRole.OWNER)
    client.force_login(owner.user)
    if data.get("product") == "OTHER":
        data = {**data, "product": SkuFactory().product_id}
    if data.get("images") == "BAD":
        from django.core.files.uploadedfile import SimpleUploadedFile

        data = {**data, "images": [SimpleUploadedFile("x.png", b"not a picture", content_type="image/png")]}
    if data.get("images") == "TEN":
        data = {**data, "images": [photo() for _ in range(10)]}
    response = client.post(f"/console/b/{market['brand'].pk}/distribution/materials/", data)
    assert response.status_code == 400 and message in response.content.decode()
    assert not Material.objects.exists()


def test_material_console_routes_are_listed():
    assert len(routes_of_module(MATERIAL_CONSOLE)) == 3


@pytest.mark.parametrize("route", routes_of_module(MATERIAL_CONSOLE))
@pytest.mark.parametrize("method", ["get", "post"])
def test_brand_a_never_reaches_brand_bs_materials(client, market, route, method):
    material = Material.objects.create(brand=market["brand"], text="乙的素材")
    staff_a = BrandStaffFactory(role=BrandRole.OWNER)
    client.force_login(staff_a.user)
    for brand_id in (market["brand"].pk, staff_a.brand_id):
        url = fill_route(route, {"brand_id": brand_id, "material_id": material.pk})
        response = getattr(client, method)(url, {"text": "被改了"})
        assert "乙的素材" not in response.content.decode()
        if brand_id == market["brand"].pk:
            assert response.status_code in (403, 404, 405), (route, method)
        elif "material_id" in route:
            assert response.status_code in (404, 405), (route, method)
    material.refresh_from_db()
    assert material.text == "乙的素材" and Material.objects.filter(brand_id=staff_a.brand_id).count() <= 1


@pytest.mark.parametrize(("role", "allowed"), [(BrandRole.OPERATIONS, True), (BrandRole.FINANCE, False)])
def test_material_roles(client, market, role, allowed):
    client.force_login(BrandStaffFactory(brand=market["brand"], role=role).user)
    response = client.post(f"/console/b/{market['brand'].pk}/distribution/materials/", {"text": "文案"})
    assert response.status_code == (302 if allowed else 403)
    assert Material.objects.exists() is allowed


# ---- team, earnings, decoration ---------------------------------------------------------


def test_team_shows_invitees_sales_and_level2_earnings(client):
    from fenxiao.distribution.models import Commission

    from .factories import earned_distributor

    member, sku = earned_distributor(level2_enabled=True, level2_bps=300)
    inviter = distributor_of(sku.brand)
    member.inviter = inviter.distributor
    member.save()
    order = Commission.objects.get(distributor=member.distributor).order
    Commission.objects.create(
        order=order,
        distributor=inviter.distributor,
        level=2,
        base_amount=100000,
        amount=3000,
        created_at=order.created_at,
    )
    client.force_login(inviter.distributor)
    body = client.get("/d/invitees/").content.decode()
    assert member.distributor.distributor.store_name in body
    assert (
        '<strong class="team-sales">¥1,000.00</strong>' in body
        or '<strong class="team-sales">¥1000.00</strong>' in body
    )
    assert "¥30.00" in body
    orders = client.get("/d/orders/").content.decode()  # the inviter's level-2 earnings, with the product
    assert sku.product.title in orders and "¥30.00" in orders


def test_earnings_list_products_and_status(client):
    from .factories import earned_distributor

    member, sku = earned_distributor()
    client.force_login(member.distributor)
    body = client.get("/d/orders/").content.decode()
    assert sku.product.title in body and "¥100.00" in body  # 10% of ¥1,000


def test_decoration_shows_on_the_micro_store(client, market):
    user = market["user"]
    services.set_store_price(distributor=user, sku_id=market["tea"].pk, price=11000)
    services.set_store_price(distributor=user, sku_id=market["cup"].pk, price=4500)
    client.force_login(user)
    response = client.post(
        "/d/store/decorate/",
        {
            "headline": "春茶上新",
            "banner": photo("banner.png"),
            "featured": [market["cup"].product_id],
            "section-0-title": "关于我",
            "section-0-body": "十年茶人",
        },
    )
    assert response.status_code == 302
    decoration = StoreDecoration.objects.get(distributor=user)
    assert decoration.banner and list(decoration.featured.all()) == [market["cup"].product]
    link = services.share_link(distributor=user, brand=market["brand"])
    store = client.get(f"/m/{link.code}/").content.decode()
    assert "春茶上新" in store and "关于我" in store and decoration.banner.url in store
    assert store.index("茶杯") < store.index("绿茶")  # the featured one first
    assert "tile-blank" in store  # goods without a picture keep their place


def test_decoration_refuses_goods_not_picked_and_bad_sections(client, market):
    user = market["user"]
    client.force_login(user)
    for data in (
        {"featured": [market["cup"].product_id]},
        {"section-0-title": "只有标题"},
        {"banner": photo("x.txt")} if False else {"section-0-title": "t" * 61, "section-0-body": "b"},
    ):
        client.post("/d/store/decorate/", data)
    assert not StoreDecoration.objects.filter(distributor=user).exists()
    assert not StoreSection.objects.exists()
    with pytest.raises(Exception, match="Open your micro-store"):
        materials.decorate_store(distributor=UserFactory(), headline="x")


# ---- the application-form builder ---------------------------------------------------------


def test_application_questions_are_edited_as_rows(client, market):
    owner = BrandStaffFactory(brand=market["brand"], role=BrandRole.OWNER)
    client.force_login(owner.user)
    url = f"/console/b/{market['brand'].pk}/distribution/"
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "申请表" in page and '"label"' not in page and 'name="q-0-label"' in page
    from .test_console import _program_data

    data = _program_data({"owner": owner})
    data.update(
        {
            "q-TOTAL_FORMS": "3",
            "q-INITIAL_FORMS": "0",
            "q-0-label": "微信号",
            "q-0-type": "text",
            "q-0-required": "on",
            "q-1-label": "手机",
            "q-1-type": "phone",
            "q-2-label": "",
            "q-2-type": "text",
        }
    )
    assert client.post(url, data).status_code == 302
    program = DistributionProgram.objects.get(brand=market["brand"])
    assert program.application_fields == [
        {"label": "微信号", "type": "text", "required": True},
        {"label": "手机", "type": "phone", "required": False},
    ]
    data.update({"q-1-label": "微信号", "q-0-type": "text"})
    response = client.post(url, data)
    assert response.status_code == 400 and "only once" in response.content.decode()
    data.update({"q-1-label": "手机", "q-1-type": "sql"})
    assert client.post(url, data).status_code == 400
    assert DistributionProgram.objects.get(pk=program.pk).application_fields[1]["type"] == "phone"
    with pytest.raises(Exception, match="Application fields"):
        services.update_program(actor=owner, application_fields=[{"label": "x", "type": "file"}])
    applicant = UserFactory()
    services.become_distributor(user=applicant, store_name="新店")
    client.force_login(applicant)
    centre = client.get("/d/").content.decode()
    assert 'name="answer:手机" placeholder="手机" aria-label="手机" type="tel"' in centre


def test_the_brand_reads_the_applicants_answers(client, market):
    owner = BrandStaffFactory(brand=market["brand"], role=BrandRole.OWNER)
    program_of(market["brand"], application_fields=[{"label": "微信号", "type": "text", "required": True}])
    applicant = UserFactory()
    services.become_distributor(user=applicant, store_name="新店")
    services.apply_to_brand(user=applicant, brand=market["brand"], answers={"微信号": "tea_lover_88"})
    client.force_login(owner.user)
    body = client.get(f"/console/b/{market['brand'].pk}/distribution/distributors/").content.decode()
    assert "<dt>微信号</dt><dd>tea_lover_88</dd>" in body
