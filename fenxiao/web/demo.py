"""Demo data for `make run`: idempotent (natural keys), with progress, no network.

``STEPS`` is a list of functions ``step(ctx, out)``; later capabilities append their own.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import import_module

from django.core.files.base import ContentFile
from django.db import transaction
from PIL import Image

from fenxiao.accounts.models import Brand, BrandStaff, BrandStatus, User
from fenxiao.accounts.roles import BrandRole
from fenxiao.catalog import services as catalog
from fenxiao.catalog.images import make_thumbnail
from fenxiao.catalog.models import Category, Product, ProductImage, ProductStatus, Sku
from fenxiao.distribution.models import DistributorProfile
from fenxiao.web.demo_pictures import pictures_for, studio

DEMO_PASSWORD = "fenxiao-demo-2026"

CATEGORIES = {
    ("茶叶", "Tea"): [
        ("绿茶", "Green tea"),
        ("红茶", "Black tea"),
        ("乌龙茶", "Oolong"),
        ("茶具", "Tea ware"),
    ],
    ("家纺", "Home textiles"): [("床品", "Bedding"), ("毛巾", "Towels"), ("服饰", "Clothing")],
}

BRANDS = [
    {
        "slug": "shanye-tea",
        "name": "山野茶社",
        "description": "高山生态茶园直供，从茶园到茶杯。",
        "phone_prefix": "1380000",
        "products": [
            ("明前龙井", "绿茶", ["规格"], [["100g"], ["250g"], ["500g"]], 6800),
            ("碧螺春", "绿茶", ["规格"], [["100g"], ["250g"]], 5800),
            ("黄山毛峰", "绿茶", ["规格"], [["125g"], ["250g"]], 4800),
            ("信阳毛尖", "绿茶", ["规格"], [["250g"]], 3900),
            ("安吉白茶", "绿茶", ["规格"], [["100g"], ["200g"]], 7800),
            ("正山小种", "红茶", ["规格"], [["150g"], ["300g"]], 5600),
            ("祁门红茶", "红茶", ["规格"], [["100g"], ["250g"]], 6600),
            ("滇红金芽", "红茶", ["规格"], [["200g"]], 8800),
            ("金骏眉", "红茶", ["规格"], [["50g"], ["100g"]], 12800),
            (
                "铁观音",
                "乌龙茶",
                ["香型", "规格"],
                [["清香", "250g"], ["浓香", "250g"], ["清香", "500g"], ["浓香", "500g"]],
                5900,
            ),
            ("大红袍", "乌龙茶", ["规格"], [["125g"], ["250g"]], 9900),
            ("凤凰单丛", "乌龙茶", ["规格"], [["250g"]], 8600),
            ("冻顶乌龙", "乌龙茶", ["规格"], [["150g"], ["300g"]], 7200),
            ("白瓷盖碗", "茶具", ["颜色"], [["白"], ["青"]], 3900),
            ("紫砂壶", "茶具", ["容量"], [["150ml"], ["250ml"]], 29800),
            ("玻璃公道杯", "茶具", ["容量"], [["300ml"]], 2900),
            ("竹制茶盘", "茶具", ["尺寸"], [["小号"], ["大号"]], 15800),
            ("旅行茶具套装", "茶具", ["颜色"], [["米白"], ["墨黑"], ["豆绿"]], 12900),
            ("茶叶罐", "茶具", ["材质"], [["锡"], ["陶"]], 6900),
            ("茶巾三件套", "茶具", ["颜色"], [["灰"], ["蓝"]], 1900),
            ("普洱熟茶饼", "红茶", ["规格"], [["357g"]], 16800),
            ("桂花乌龙", "乌龙茶", ["规格"], [["100g"]], 4500),
        ],
    },
    {
        "slug": "zhiwu-life",
        "name": "织物生活",
        "description": "新疆长绒棉家纺与服饰，亲肤每一天。",
        "phone_prefix": "1380001",
        "products": [
            (
                "长绒棉四件套",
                "床品",
                ["颜色", "尺寸"],
                [["雾蓝", "1.5m"], ["雾蓝", "1.8m"], ["燕麦", "1.5m"], ["燕麦", "1.8m"]],
                59900,
            ),
            ("水洗棉被套", "床品", ["颜色", "尺寸"], [["灰", "1.5m"], ["灰", "1.8m"]], 29900),
            ("天丝凉被", "床品", ["尺寸"], [["1.5m"], ["1.8m"], ["2.0m"]], 39900),
            ("乳胶枕", "床品", ["高度"], [["低枕"], ["中枕"]], 19900),
            ("羽绒枕", "床品", ["规格"], [["标准"]], 25900),
            ("纯棉床笠", "床品", ["尺寸"], [["1.5m"], ["1.8m"]], 12900),
            ("纯棉毛巾", "毛巾", ["颜色"], [["白"], ["粉"], ["蓝"]], 2900),
            ("浴巾", "毛巾", ["颜色"], [["白"], ["灰"]], 8900),
            ("儿童方巾五条装", "毛巾", ["规格"], [["五条装"]], 3900),
            ("速干发帽", "毛巾", ["颜色"], [["粉"], ["紫"]], 2500),
            ("毛巾礼盒", "毛巾", ["规格"], [["两条装"], ["四条装"]], 9900),
            ("纯棉T恤", "服饰", ["颜色", "尺码"], [["白", "M"], ["白", "L"], ["黑", "M"], ["黑", "L"]], 7900),
            ("家居服套装", "服饰", ["尺码"], [["M"], ["L"], ["XL"]], 15900),
            ("真丝睡衣", "服饰", ["颜色", "尺码"], [["香槟", "M"], ["香槟", "L"], ["墨绿", "M"]], 49900),
            ("纯棉袜五双装", "服饰", ["尺码"], [["均码"]], 3900),
            ("法兰绒睡袍", "服饰", ["尺码"], [["M"], ["L"]], 19900),
            ("亚麻衬衫", "服饰", ["颜色", "尺码"], [["白", "M"], ["蓝", "M"], ["蓝", "L"]], 25900),
            ("羊毛围巾", "服饰", ["颜色"], [["驼色"], ["灰色"]], 29900),
            ("珊瑚绒毯", "床品", ["尺寸"], [["1.2m"], ["1.5m"]], 15900),
            ("抱枕套", "床品", ["颜色"], [["黄"], ["绿"], ["灰"]], 4900),
            ("竹纤维凉席", "床品", ["尺寸"], [["1.5m"], ["1.8m"]], 26900),
            ("婴儿纱布浴巾", "毛巾", ["规格"], [["单条"]], 5900),
        ],
    },
]


@dataclass
class DemoContext:
    rng: random.Random = field(default_factory=lambda: random.Random(2026))
    sign_ins: list[tuple[str, str, str]] = field(default_factory=list)  # role, where, login


def _user(phone: str, name: str, *, email: str | None = None, staff: bool = False) -> User:
    user = User.objects.filter(phone=phone).first()
    if user is None:
        if staff:
            user = User.objects.create_superuser(
                phone=phone, email=email, password=DEMO_PASSWORD, display_name=name
            )
        else:
            user = User.objects.create_user(
                phone=phone, email=email, password=DEMO_PASSWORD, display_name=name
            )
    return user


def product_picture(title: str, colour: tuple[int, int, int], size: int = 800) -> bytes:
    """A square studio picture of a product drawn locally, its kind guessed from the title."""
    kinds = {"壶": "teapot", "杯": "teapot", "饼": "cake", "被": "bedding", "枕": "bedding", "巾": "towels"}
    kind = next((k for word, k in kinds.items() if word in title), None)
    if kind is None:
        kind = "shirt" if any(w in title for w in ("衣", "衫", "裙", "袜", "T恤")) else "tin"
    raw = studio(kind, colour)
    if size == 800:
        return raw
    image = Image.open(io.BytesIO(raw)).resize((size, size))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def seed_platform(ctx: DemoContext, out: Callable[[str], None]) -> None:
    _user("13800000000", "平台管理员", email="admin@fenxiao.example", staff=True)
    ctx.sign_ins.append(("platform staff (admin)", "/admin/", "13800000000"))
    for (name, name_en), children in CATEGORIES.items():
        parent, _ = Category.objects.get_or_create(parent=None, name=name, defaults={"name_en": name_en})
        for position, (child, child_en) in enumerate(children):
            Category.objects.get_or_create(
                parent=parent, name=child, defaults={"name_en": child_en, "position": position}
            )
    out("platform admin and categories ready")


def seed_brands(ctx: DemoContext, out: Callable[[str], None]) -> None:
    categories = {c.name: c for c in Category.objects.all()}
    palette = [(196, 72, 60), (58, 120, 90), (70, 96, 160), (180, 130, 50), (120, 80, 150), (60, 140, 150)]
    for b_index, spec in enumerate(BRANDS):
        owner = _user(f"{spec['phone_prefix']}0001", f"{spec['name']}店主")
        brand, _ = Brand.objects.get_or_create(
            slug=spec["slug"],
            defaults={
                "name": spec["name"],
                "description": spec["description"],
                "status": BrandStatus.APPROVED,
                "applied_by": owner,
            },
        )
        for r_index, role in enumerate(BrandRole.values, start=1):
            user = (
                owner
                if role == BrandRole.OWNER
                else _user(f"{spec['phone_prefix']}{r_index:04d}", f"{spec['name']}·{BrandRole(role).label}")
            )
            BrandStaff.objects.get_or_create(brand=brand, user=user, defaults={"role": role})
            ctx.sign_ins.append(
                (f"{brand.name} {BrandRole(role).label}", f"/console/b/{brand.pk}/", user.phone)
            )
        actor = BrandStaff.objects.get(brand=brand, role=BrandRole.OWNER, user=owner)
        total = len(spec["products"])
        for p_index, (title, category, spec_names, combos, base_price) in enumerate(
            spec["products"], start=1
        ):
            code = f"{spec['slug'][:4].upper()}-{p_index:03d}"
            if not Product.objects.filter(brand=brand, external_code=code).exists():
                with transaction.atomic():
                    skus = []
                    for c_index, combo in enumerate(combos):
                        retail = base_price + c_index * (base_price // 5 // 100 * 100)
                        skus.append(
                            catalog.SkuInput(
                                spec_values=dict(zip(spec_names, combo, strict=True)),
                                retail_price=retail,
                                price_min=retail * 90 // 100,
                                price_max=retail * 120 // 100,
                                stock=ctx.rng.choice([0, 5, 20, 50, 120, 300])
                                if c_index
                                else ctx.rng.choice([30, 80, 200]),
                                barcode=f"69{b_index}{p_index:04d}{c_index:02d}{ctx.rng.randint(1000, 9999)}",
                                weight_grams=ctx.rng.choice([150, 300, 500, 900]),
                            )
                        )
                    product = catalog.create_product(
                        actor=actor,
                        title=title,
                        subtitle=spec["description"][:30],
                        description=f"{title}。{spec['description']}",
                        category=categories.get(category),
                        spec_names=spec_names,
                        skus=skus,
                    )
                    Product.objects.filter(pk=product.pk).update(external_code=code)
                    colour = palette[(p_index + b_index) % len(palette)]
                    for position, raw in enumerate(pictures_for(category, colour, seed=product.pk)):
                        picture = ProductImage(product=product, position=position, width=800, height=800)
                        picture.image.save(f"demo-{product.pk}-{position}.jpg", ContentFile(raw), save=False)
                        picture.thumbnail.save(
                            f"demo-{product.pk}-{position}-thumb.jpg",
                            ContentFile(make_thumbnail(raw)),
                            save=False,
                        )
                        picture.save()
                    status = (
                        ProductStatus.DRAFT
                        if p_index == total
                        else ProductStatus.OFF_SHELF
                        if p_index == total - 1
                        else ProductStatus.ON_SALE
                    )
                    catalog.set_product_status(actor=actor, product_id=product.pk, status=status)
            out(f"  {spec['name']}: product {p_index}/{total}")
        out(f"brand {spec['name']} ready")
    applicant = _user("13800002001", "待审品牌申请人")
    Brand.objects.get_or_create(
        slug="pending-farm",
        defaults={
            "name": "待审农场",
            "description": "等待平台审核的品牌申请。",
            "status": BrandStatus.PENDING,
            "applied_by": applicant,
        },
    )
    ctx.sign_ins.append(("brand applicant (pending)", "/accounts/me/", applicant.phone))


def seed_people(ctx: DemoContext, out: Callable[[str], None]) -> None:
    for i in range(1, 6):
        user = _user(f"1390000{i:04d}", f"分销商{i}")
        DistributorProfile.objects.get_or_create(
            user=user, defaults={"store_name": f"小店{i}号", "intro": "好物推荐"}
        )
        if i == 1:
            ctx.sign_ins.append(("distributor", "/accounts/me/", user.phone))
    for i in range(1, 21):
        user = _user(f"1370000{i:04d}", f"顾客{i}")
        if i == 1:
            ctx.sign_ins.append(("consumer", "/", user.phone))
    out("5 distributors and 20 consumers ready")


def seed_orders(ctx: DemoContext, out: Callable[[str], None]) -> None:
    """Orders in every state for every demo consumer, paid through the sandbox, so consoles, the
    ledger and the CRM (each member's RFM scores) have data."""
    from fenxiao.payments.gateways.sandbox import pay_in_sandbox
    from fenxiao.trade import fulfilment
    from fenxiao.trade.checkout import place_order
    from fenxiao.trade.models import Address, Order

    consumers = list(User.objects.filter(phone__startswith="1370000").order_by("phone"))
    if Order.objects.filter(consumer__in=consumers).exists():
        out("demo orders already there")
        return
    skus = list(
        Sku.objects.filter(product__status=ProductStatus.ON_SALE, stock__gte=20)
        .select_related("product")
        .order_by("id")
    )
    for index, consumer in enumerate(consumers):
        address, _ = Address.objects.get_or_create(
            consumer=consumer,
            defaults={
                "name": consumer.display_name,
                "phone": consumer.phone,
                "province": "浙江省",
                "city": "杭州市",
                "district": "西湖区",
                "province_code": "330000",
                "city_code": "330100",
                "district_code": "330106",
                "detail": f"文三路 {index + 1} 号",
                "is_default": True,
            },
        )
        picks = [skus[(index * 7) % len(skus)], skus[(index * 7 + len(skus) // 2) % len(skus)]]
        checkout = place_order(
            consumer=consumer, address_id=address.pk, items=[(sku.pk, 1 + index % 2) for sku in picks]
        )
        stage = index % 4  # 0 unpaid, 1 paid, 2 shipped, 3 completed and settled
        if stage >= 1:
            pay_in_sandbox(checkout.payment)
        for order in checkout.orders.all():
            owner = BrandStaff.objects.get(brand=order.brand, role=BrandRole.OPERATIONS)
            if stage >= 2:
                fulfilment.ship(
                    actor=owner, order_id=order.pk, carrier="shunfeng", tracking_no=f"SF{order.pk:010d}"
                )
            if stage >= 3:
                fulfilment.confirm_receipt(consumer=consumer, order_id=order.pk)
                fulfilment.settle(order.pk)
        out(f"  order set {index + 1}/{len(consumers)}")
    _demo_tracking(out)
    ctx.sign_ins.append(("consumer with orders", "/trade/orders/", consumers[1].phone))


def _demo_tracking(out: Callable[[str], None]) -> None:
    """Give the demo's shipments a tracking timeline: the local Kuaidi100 (the real, signed
    query protocol on 127.0.0.1) answers for the few seconds the seed asks it."""
    from django.test import override_settings

    from fenxiao.trade.models import Shipment
    from fenxiao.trade.tracking import services as tracking
    from fenxiao.trade.tracking.local import LocalKuaidi100

    server = LocalKuaidi100(customer="DEMO", key="DEMO-KEY").start()
    try:
        with override_settings(
            TRACKING_PROVIDER="kuaidi100",
            KUAIDI100_URL=server.url,
            KUAIDI100_CUSTOMER="DEMO",
            KUAIDI100_KEY="DEMO-KEY",
        ):
            shipments = list(Shipment.objects.filter(tracking_checked_at__isnull=True).order_by("id"))
            for number, shipment in enumerate(shipments, start=1):
                if shipment.order.status == "completed":
                    server.deliver(shipment.carrier, shipment.tracking_no)
                tracking.refresh(shipment.pk)
                out(f"  tracking {number}/{len(shipments)}")
    finally:
        server.stop()


def seed_distribution(ctx: DemoContext, out: Callable[[str], None]) -> None:
    """Every demo distributor joins both brands and picks a few goods at prices inside the bands;
    the first consumer is bound to the first distributor."""
    from fenxiao.distribution import services as distribution
    from fenxiao.distribution.models import DistributorMembership, MembershipStatus, StoreSkuPrice

    distributors = list(User.objects.filter(phone__startswith="1390000").order_by("phone"))
    for brand in Brand.objects.filter(status=BrandStatus.APPROVED).order_by("id"):
        distribution.program_for(brand)
        skus = list(
            Sku.objects.filter(brand=brand, is_active=True, product__status=ProductStatus.ON_SALE).order_by(
                "id"
            )[:6]
        )
        for index, user in enumerate(distributors):
            DistributorMembership.objects.get_or_create(
                brand=brand, distributor=user, defaults={"status": MembershipStatus.APPROVED}
            )
            for sku in skus[index % 3 :: 2]:
                if not StoreSkuPrice.objects.filter(distributor=user, sku=sku).exists():
                    distribution.set_store_price(
                        distributor=user, sku_id=sku.pk, price=(sku.price_min + sku.price_max) // 2
                    )
        out(f"  {brand.name}: {len(distributors)} distributors with picked goods")
    consumer = User.objects.filter(phone="13700000001").first()
    brand = Brand.objects.filter(status=BrandStatus.APPROVED).order_by("id").first()
    if consumer and brand and distributors:
        distribution.record_visit(
            link=distribution.share_link(distributor=distributors[0], brand=brand), visitor=consumer
        )


class _Lines:
    """What the apps' own ``seed(stdout)`` functions write to: ``.write(text)`` or a call."""

    def __init__(self, out: Callable[[str], None]) -> None:
        self._out = out

    def write(self, text: str) -> None:
        for line in text.rstrip("\n").splitlines():
            self._out(f"  {line}")

    __call__ = write


def _app_step(module: str, name: str) -> Callable[[DemoContext, Callable[[str], None]], None]:
    """A step that runs ``module.seed`` (each capability keeps its demo data beside its code)."""

    def step(ctx: DemoContext, out: Callable[[str], None]) -> None:
        import_module(module).seed(_Lines(out))

    step.__name__ = name
    return step


STEPS: list[Callable[[DemoContext, Callable[[str], None]], None]] = [
    seed_platform,
    seed_brands,
    seed_people,
    seed_orders,
    seed_distribution,
    _app_step("fenxiao.distribution.demo", "seed_distributor_tools"),
    _app_step("fenxiao.crm.demo", "seed_members"),
    _app_step("fenxiao.marketing.demo", "seed_marketing"),
    _app_step("fenxiao.aftersales.demo", "seed_aftersales"),
    _app_step("fenxiao.openapi.demo", "seed_open_platform"),
    _app_step("fenxiao.payments.demo", "seed_payments"),
    _app_step("fenxiao.analytics.demo", "seed_data_cube"),
]


def seed(out: Callable[[str], None] = print) -> DemoContext:
    ctx = DemoContext()
    for number, step in enumerate(STEPS, start=1):
        out(f"[{number}/{len(STEPS)}] {step.__name__.replace('_', ' ')}")
        step(ctx, out)
    return ctx
