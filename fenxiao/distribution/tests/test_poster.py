import io

import pytest
import zxingcpp
from django.core.files.base import ContentFile
from PIL import Image

from conftest import copy_to_docs
from fenxiao.catalog.models import ProductImage
from fenxiao.catalog.tests.factories import ProductFactory, SkuFactory
from fenxiao.distribution import services
from fenxiao.distribution.models import LinkKind
from fenxiao.distribution.posters import HEIGHT, WIDTH, render_poster
from fenxiao.web.demo import product_picture

from .factories import distributor_of

pytestmark = pytest.mark.django_db


def test_poster_for_a_chinese_title_decodes_to_the_share_link(tmp_path):
    product = ProductFactory(title="高山云雾绿茶 明前特级 250克礼盒装")
    SkuFactory(product=product, retail_price=16800, price_min=15000, price_max=18800)
    picture = ProductImage(product=product, position=0, width=800, height=800)
    picture.image.save("p.jpg", ContentFile(product_picture("高山云雾绿茶", (58, 120, 90))), save=True)
    member = distributor_of(product.brand)
    link = services.share_link(
        distributor=member.distributor, brand=product.brand, kind=LinkKind.PRODUCT, product=product
    )
    url = f"https://fenxiao.example/s/{link.code}"
    png = render_poster(link, url, price=16800)
    with Image.open(io.BytesIO(png)) as poster:
        assert poster.format == "PNG" and poster.size == (WIDTH, HEIGHT)
        decoded = [r.text for r in zxingcpp.read_barcodes(poster)]
    assert decoded == [url]
    (tmp_path / "poster.png").write_bytes(png)
    copy_to_docs(tmp_path / "poster.png", "share-poster.png")


def test_poster_download_is_only_for_the_links_owner(client):
    product = ProductFactory(title="纯棉毛巾")
    SkuFactory(product=product)
    member, other = distributor_of(product.brand), distributor_of(product.brand)
    link = services.share_link(
        distributor=member.distributor, brand=product.brand, kind=LinkKind.PRODUCT, product=product
    )
    client.force_login(other.distributor)
    assert client.get(f"/d/poster/{link.code}.png").status_code == 404
    client.force_login(member.distributor)
    response = client.get(f"/d/poster/{link.code}.png")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    decoded = [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(response.content)))]
    assert decoded == [f"http://testserver/s/{link.code}"]
