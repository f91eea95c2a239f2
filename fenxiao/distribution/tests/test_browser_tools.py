"""The distributor's tools on a 390×844 phone in zh-Hans (Debian's Chromium): the brand puts a
material (copy and a picture) in its library from its console; the distributor opens the
material library, copies the text in one tap (read back from the clipboard) and saves its
picture, then on the share page previews the product poster and saves it (a real PNG download).

Screenshots go to test-artifacts/; with ``FENXIAO_SCREENSHOTS=1`` (or ``FENXIAO_UPDATE_DOCS_IMG=1``)
they are also copied into docs/img/."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from playwright.sync_api import expect

from conftest import save_screenshot, sign_in
from fenxiao.accounts.roles import BrandRole
from fenxiao.accounts.tests.factories import BrandStaffFactory
from fenxiao.aftersales.tests.factories import photo
from fenxiao.catalog.models import ProductImage
from fenxiao.catalog.tests.factories import ProductFactory, SkuFactory
from fenxiao.distribution import services
from fenxiao.distribution.models import Material

from .factories import distributor_of, program_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DOCS_IMG = Path(__file__).resolve().parents[3] / "docs" / "img"


def _docs_copy(path: Path) -> None:
    if "1" in (os.environ.get("FENXIAO_SCREENSHOTS"), os.environ.get("FENXIAO_UPDATE_DOCS_IMG")):
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, DOCS_IMG / path.name)


def test_brand_adds_a_material_distributor_copies_it_and_saves_a_poster(
    live_server, browser, phone_context, tmp_path
):
    base = live_server.url
    sku = SkuFactory(
        product=ProductFactory(title="高山云雾绿茶", brand__name="山野茶社"),
        retail_price=10000,
        price_min=9000,
        price_max=12000,
        stock=20,
    )
    image = ProductImage(product=sku.product)
    image.image.save("tea.png", ContentFile(photo(color="green").read()), save=False)
    image.thumbnail.save("tea-thumb.png", ContentFile(photo(color="green").read()), save=True)
    program_of(sku.brand, level1_bps=1200)
    member = distributor_of(sku.brand)
    services.set_store_price(distributor=member.distributor, sku_id=sku.pk, price=11000)
    copy = "明前高山绿茶上新，一杯回甘，点我链接下单"

    # The brand puts the material in its library from its console.
    owner = BrandStaffFactory(brand=sku.brand, role=BrandRole.OWNER)
    console_context = browser.new_context(locale="zh-CN")
    console = console_context.new_page()
    sign_in(console, base, owner.user, f"/console/b/{sku.brand_id}/distribution/materials/")
    console.select_option("select[name=product]", str(sku.product_id))
    console.fill("input[name=campaign]", "春茶节")
    console.fill("textarea[name=text]", copy)
    picture = tmp_path / "spring.png"
    picture.write_bytes(photo(color="olive").read())
    console.set_input_files("input[name=images]", str(picture))
    console.get_by_role("button", name="保存").click()
    expect(console.locator(".msg-success")).to_have_text("素材已保存。")
    expect(console.locator(".material-row")).to_contain_text("春茶节")
    console_context.close()
    assert Material.objects.get().images.count() == 1

    phone_context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    page = phone_context.new_page()
    sign_in(page, base, member.distributor, "/d/")
    page.click("text=货源市场")
    card = page.locator(".market-card", has_text="高山云雾绿茶")
    expect(card.locator(".earn")).to_have_text("赚 ¥13.20")  # 12% of the distributor's ¥110.00
    _docs_copy(save_screenshot(page, "distributor-market.png", full_page=False))
    page.click("text=返回分销中心")
    page.click("text=素材库")
    item = page.locator(".material", has_text="春茶节")
    item.get_by_role("button", name="复制文案").click()
    expect(item.get_by_role("button", name="已复制")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == copy
    with page.expect_download() as saved:
        item.locator(".save-picture").click()
    assert Path(saved.value.path()).read_bytes().startswith(b"\x89PNG")
    _docs_copy(save_screenshot(page, "distributor-materials.png"))

    page.goto(f"{base}/d/share/{sku.brand_id}/")
    product = page.locator(".share-product", has_text="高山云雾绿茶")
    product.locator(".copy-link").click()
    assert page.evaluate("navigator.clipboard.readText()").startswith(f"{base}/s/")
    product.get_by_text("预览海报").click()
    poster = product.locator(".poster-preview img")
    expect(poster).to_be_visible()
    width = page.wait_for_function("(img) => img.complete && img.naturalWidth", arg=poster.element_handle())
    assert width.json_value() == 750  # the poster PNG loaded in the preview
    with page.expect_download() as saved:
        product.locator(".save-poster").click()
    assert saved.value.suggested_filename.endswith(".png")
    assert Path(saved.value.path()).read_bytes().startswith(b"\x89PNG")
    _docs_copy(save_screenshot(page, "distributor-share-poster.png"))
