"""The province/city/district picker: GB/T 2260 data, the divisions endpoint, the address form,
the database checks and the data migration that fills codes from names."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from fenxiao.accounts.tests.factories import UserFactory
from fenxiao.trade import divisions
from fenxiao.trade.addresses import add_address
from fenxiao.trade.models import Address

from .factories import AddressFactory

pytestmark = pytest.mark.django_db

GOOD = {
    "name": "李四",
    "phone": "13900001111",
    "province_code": "110000",
    "city_code": "110100",
    "district_code": "110105",
    "detail": "建国路 1 号",
}


def test_data_is_the_packaged_gbt2260_set():
    provinces = {d.code: d.name for d in divisions.provinces()}
    assert (
        len(provinces) == 31 and provinces["330000"] == "浙江省" and provinces["650000"] == "新疆维吾尔自治区"
    )
    hangzhou = {d.code: d.name for d in divisions.children_of("330000")}["330100"]
    assert hangzhou == "杭州市"
    assert {d.code: d.name for d in divisions.children_of("330100")}["330106"] == "西湖区"
    # A municipality's city level carries the municipality's name, not "市辖区".
    assert [(d.code, d.name) for d in divisions.children_of("110000")] == [("110100", "北京市")]


def test_pick_names_the_first_wrong_code():
    with pytest.raises(divisions.UnknownDivision, match="990000"):
        divisions.pick("990000", "330100", "330106")
    with pytest.raises(divisions.UnknownDivision) as exc:
        divisions.pick("110000", "330100", "330106")
    assert exc.value.code == "city_not_in_province" and "杭州市" in exc.value.messages[0]
    with pytest.raises(divisions.UnknownDivision) as exc:
        divisions.pick("330000", "330100", "110105")
    assert exc.value.code == "district_not_in_city"
    with pytest.raises(divisions.UnknownDivision) as exc:
        divisions.pick("330000", "330100", "")
    assert exc.value.code == "district_required"


def test_divisions_endpoint(client):
    provinces = client.get("/trade/divisions/").json()
    assert provinces["parent"] is None and {"code": "440000", "name": "广东省"} in provinces["divisions"]
    cities = client.get("/trade/divisions/?parent=440000").json()["divisions"]
    assert {"code": "440300", "name": "深圳市"} in cities
    districts = client.get("/trade/divisions/?parent=440300").json()["divisions"]
    assert {"code": "440305", "name": "南山区"} in districts
    assert (
        client.get("/trade/divisions/?parent=440305").json()["divisions"] == []
    )  # districts have no children
    unknown = client.get("/trade/divisions/?parent=999999")
    assert unknown.status_code == 404 and "999999" in unknown.json()["error"]
    assert client.post("/trade/divisions/").status_code == 405


def test_address_form_stores_codes_and_names(client):
    consumer = UserFactory()
    client.force_login(consumer)
    response = client.post("/trade/addresses/", GOOD)
    assert response.status_code == 302
    address = consumer.addresses.get()
    assert (address.province, address.city, address.district) == ("北京市", "北京市", "朝阳区")
    assert (address.province_code, address.city_code, address.district_code) == ("110000", "110100", "110105")


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"province_code": "990000"}, "province_code", "Unknown province code 990000."),
        ({"city_code": "330100"}, "city_code", "杭州市 is not in 北京市."),
        ({"district_code": "330106"}, "district_code", "西湖区 is not in 北京市."),
        ({"district_code": "999999"}, "district_code", "Unknown district code 999999."),
        ({"district_code": ""}, "district_code", "Choose a district."),
        ({"province_code": ""}, "province_code", "This field is required."),
    ],
)
def test_address_form_rejects_unknown_or_inconsistent_codes(client, changes, field, message):
    consumer = UserFactory()
    client.force_login(consumer)
    response = client.post("/trade/addresses/", {**GOOD, **changes}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert message in response.context["form"].errors[field]
    assert not Address.objects.exists()


def test_address_form_error_in_chinese(client):
    client.force_login(UserFactory())
    response = client.post(
        "/trade/addresses/", {**GOOD, "province_code": "990000"}, HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert response.status_code == 400 and "未知的省份代码 990000。" in response.content.decode()


def test_form_without_script_lists_the_cities_of_the_posted_province(client):
    client.force_login(UserFactory())
    response = client.post("/trade/addresses/", {**GOOD, "city_code": "", "district_code": ""})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'value="110100"' in page and 'value="110105"' not in page


def test_service_rejects_bad_codes_and_writes_nothing():
    consumer = UserFactory()
    with pytest.raises(divisions.UnknownDivision):
        add_address(consumer=consumer, **{**GOOD, "city_code": "120100"})
    assert not Address.objects.exists()


def test_service_fills_codes_from_names_when_they_match():
    consumer = UserFactory()
    named = add_address(
        consumer=consumer,
        name="王",
        phone="1",
        province="浙江省",
        city="杭州市",
        district="西湖区",
        detail="x",
    )
    assert (named.province_code, named.city_code, named.district_code) == ("330000", "330100", "330106")
    other = add_address(consumer=consumer, name="王", phone="1", province="火星", city="x", detail="x")
    assert (other.province_code, other.city_code, other.district_code) == ("", "", "")


@pytest.mark.parametrize(
    "codes",
    [
        {"province_code": "33"},  # not 6 digits
        {"province_code": "330100"},  # a city's code as the province
        {"city_code": "110100"},  # a city outside its province
        {"district_code": "110105"},  # a district outside its city
        {"province_code": "", "city_code": "330100", "district_code": ""},  # a city without a province
    ],
)
def test_database_refuses_inconsistent_codes(codes):
    address = AddressFactory.build(consumer=UserFactory(), **codes)
    with pytest.raises(IntegrityError), transaction.atomic():
        address.save()


@pytest.mark.django_db(transaction=True)
def test_data_migration_fills_codes_from_names():
    executor = MigrationExecutor(connection)
    executor.migrate([("trade", "0006_address_division_codes")])
    old_apps = executor.loader.project_state([("trade", "0006_address_division_codes")]).apps
    OldAddress = old_apps.get_model("trade", "Address")
    OldUser = old_apps.get_model("accounts", "User")
    user = OldUser.objects.create(phone="13900002222", password="!")
    fields = {"consumer_id": user.pk, "name": "张", "phone": "1", "detail": "x"}
    matched = OldAddress.objects.create(province="北京市", city="北京市", district="东城区", **fields)
    partial = OldAddress.objects.create(province="浙江省", city="杭州", district="", **fields)
    unknown = OldAddress.objects.create(province="Mars", city="Base", district="", **fields)
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    codes = dict(Address.objects.values_list("pk", "district_code"))
    assert Address.objects.get(pk=matched.pk).city_code == "110100" and codes[matched.pk] == "110101"
    assert Address.objects.get(pk=partial.pk).province_code == "330000"
    assert Address.objects.get(pk=partial.pk).city_code == ""
    assert Address.objects.get(pk=unknown.pk).province_code == ""
