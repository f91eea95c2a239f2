import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from fenxiao.accounts.roles import BrandRole
from fenxiao.accounts.tests.factories import BrandStaffFactory
from fenxiao.catalog import importing, services
from fenxiao.catalog.images import read_validated_image
from fenxiao.catalog.models import Product, ProductStatus, Sku

from .factories import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db

HEADER = ",".join(c.name for c in importing.COLUMNS)


def csv_file(*rows: str, bom: bool = True) -> io.BytesIO:
    text = ("\ufeff" if bom else "") + "\n".join([HEADER, *rows]) + "\n"
    return io.BytesIO(text.encode("utf-8"))


@pytest.fixture
def operations():
    return BrandStaffFactory(role=BrandRole.OPERATIONS)


def test_valid_file_imports_products_with_skus(operations):
    CategoryFactory(name="绿茶")
    report = importing.import_products_csv(
        actor=operations,
        file=csv_file(
            "T-1,龙井,绿茶,desc,规格,100g,,,690001,100,10,68.00,60.00,80.00,on_sale",
            "T-1,龙井,绿茶,desc,规格,250g,,,690002,250,5,158.00,,,on_sale",
            "S-2,T恤,,,颜色,白,尺码,M,,200,3,79,,,draft",
        ),
    )
    assert report.ok, report.errors
    assert (report.rows, report.products, report.skus) == (3, 2, 3)
    tea = Product.objects.get(external_code="T-1")
    assert tea.status == ProductStatus.ON_SALE and tea.category.name == "绿茶"
    assert sorted(tea.skus.values_list("retail_price", "price_min", "price_max")) == [
        (6800, 6000, 8000),
        (15800, 15800, 15800),
    ]


def test_importing_again_updates_instead_of_duplicating(operations):
    row = "S-2,T恤,,,颜色,白,,,,200,3,79,,,draft"
    assert importing.import_products_csv(actor=operations, file=csv_file(row)).ok
    assert importing.import_products_csv(actor=operations, file=csv_file(row.replace(",3,79", ",9,89"))).ok
    sku = Sku.objects.get()
    assert (sku.stock, sku.retail_price, Product.objects.count()) == (9, 8900, 1)


def test_invalid_rows_are_all_reported_and_nothing_is_written(operations):
    report = importing.import_products_csv(
        actor=operations,
        file=csv_file(
            "A-1,好商品,,,,,,,,,5,10.00,,,on_sale",
            "A-2,,,,,,,,,,x,10.123,,,on_sale",
            "A-3,坏价格,不存在的分类,,,,,,,,1,50.00,60.00,,sold",
            "A-4,规格缺值,,,颜色,,,,,,1,5.00,,,draft",
        ),
    )
    assert not report.ok
    found = {(e.row, e.column) for e in report.errors}
    assert {
        (3, "title"),
        (3, "stock"),
        (3, "retail_price"),
        (4, "category"),
        (4, "status"),
        (4, "retail_price"),
        (5, "spec1_value"),
    } <= found
    assert Product.objects.count() == 0 and Sku.objects.count() == 0


def test_missing_columns_are_reported(operations):
    report = importing.import_products_csv(actor=operations, file=io.BytesIO(b"title,stock\nx,1\n"))
    assert not report.ok and "product_code" in report.errors[0].column


def test_import_page_shows_the_report(client, operations):
    client.force_login(operations.user)
    upload = SimpleUploadedFile(
        "p.csv", csv_file("A-1,x,,,,,,,,,-1,10,,,draft").getvalue(), content_type="text/csv"
    )
    response = client.post(f"/console/b/{operations.brand_id}/products/import/", {"file": upload})
    assert response.status_code == 400
    assert "Nothing was imported" in response.content.decode() or "未导入" in response.content.decode()
    assert Product.objects.count() == 0


def test_customer_service_may_not_import():
    staff = BrandStaffFactory(role=BrandRole.CUSTOMER_SERVICE)
    with pytest.raises(Exception, match="may not import"):
        importing.import_products_csv(actor=staff, file=csv_file("A-1,x,,,,,,,,,1,10,,,draft"))


def _image_bytes(fmt: str = "PNG", size=(64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(out, fmt)
    return out.getvalue()


def test_real_png_is_accepted_and_thumbnailed(operations):
    product = ProductFactory(brand=operations.brand)
    upload = SimpleUploadedFile("photo.png", _image_bytes(size=(900, 600)), content_type="image/png")
    image = services.add_product_image(actor=operations, product_id=product.pk, upload=upload)
    assert (image.width, image.height) == (900, 600)
    with Image.open(image.thumbnail.path) as thumb:
        assert max(thumb.size) == 400 and thumb.format == "JPEG"


def test_text_named_jpg_is_refused():
    upload = SimpleUploadedFile("evil.jpg", b"<?php echo 'hi'; ?>", content_type="image/jpeg")
    with pytest.raises(ValidationError, match="not a readable image"):
        read_validated_image(upload)


def test_oversize_file_is_refused(settings):
    settings.MAX_IMAGE_UPLOAD_BYTES = 1000
    upload = SimpleUploadedFile(
        "big.png", _image_bytes(size=(300, 300)) + b"\0" * 2000, content_type="image/png"
    )
    with pytest.raises(ValidationError, match="limit|larger"):
        read_validated_image(upload)


def test_decompression_bomb_is_refused_before_decoding(settings):
    settings.MAX_IMAGE_PIXELS = 10_000  # a 200×200 image stands in for a bomb
    upload = SimpleUploadedFile("bomb.png", _image_bytes(size=(200, 200)), content_type="image/png")
    with pytest.raises(ValidationError, match="megapixels"):
        read_validated_image(upload)


def test_unsupported_format_is_refused():
    upload = SimpleUploadedFile("x.bmp", _image_bytes("BMP"), content_type="image/bmp")
    with pytest.raises(ValidationError, match="JPEG, PNG"):
        read_validated_image(upload)


def test_upload_view_reports_bad_file(client, operations):
    product = ProductFactory(brand=operations.brand)
    client.force_login(operations.user)
    response = client.post(
        f"/console/b/{operations.brand_id}/products/{product.pk}/images/",
        {"image": SimpleUploadedFile("x.jpg", b"not an image")},
        follow=True,
    )
    assert (
        "not a readable image" in response.content.decode() or "不是可读取的图片" in response.content.decode()
    )
    assert product.images.count() == 0


def test_status_rules(operations):
    product = ProductFactory(brand=operations.brand, status=ProductStatus.DRAFT)
    with pytest.raises(ValidationError, match="at least one SKU"):
        services.set_product_status(actor=operations, product_id=product.pk, status=ProductStatus.ON_SALE)
    other = BrandStaffFactory(role=BrandRole.OWNER)
    with pytest.raises(Product.DoesNotExist):
        services.set_product_status(actor=other, product_id=product.pk, status=ProductStatus.OFF_SHELF)
