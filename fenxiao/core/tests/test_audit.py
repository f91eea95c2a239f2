"""The audit log: staff actions and money movements recorded, append-only, read by platform staff."""

import pytest
from django.db import DatabaseError, connection, transaction

from fenxiao.accounts.tests.factories import BrandStaffFactory, UserFactory
from fenxiao.catalog.tests.factories import SkuFactory
from fenxiao.core import audit
from fenxiao.core.models import AuditCategory, AuditRecord
from fenxiao.ledger import services as ledger

pytestmark = pytest.mark.django_db


def test_a_console_write_is_recorded_with_brand_status_and_fields(client):
    sku = SkuFactory()
    owner = BrandStaffFactory(brand=sku.brand).user
    client.force_login(owner)
    response = client.post(
        f"/console/b/{sku.brand_id}/products/{sku.product_id}/status/",
        {"status": "off_shelf", "api_secret": "do-not-log-me"},
        REMOTE_ADDR="198.51.100.20",
    )
    assert response.status_code == 302
    record = AuditRecord.objects.get(category=AuditCategory.STAFF)
    assert (record.actor_user_id, record.brand_id, record.status_code) == (owner.pk, sku.brand_id, 302)
    assert record.action == "POST console:product_status"
    assert record.target == f"/console/b/{sku.brand_id}/products/{sku.product_id}/status/"
    assert record.ip == "198.51.100.20"
    assert record.detail["fields"] == {"status": "off_shelf", "api_secret": "***"}


def test_a_refused_staff_write_is_recorded_too(client):
    sku = SkuFactory()
    outsider = BrandStaffFactory().user  # staff of another brand
    client.force_login(outsider)
    response = client.post(f"/console/b/{sku.brand_id}/products/{sku.product_id}/status/", {"status": "x"})
    assert response.status_code == 404
    assert AuditRecord.objects.get().status_code == 404


def test_reads_and_consumer_actions_are_not_staff_actions(client):
    sku = SkuFactory()
    client.force_login(BrandStaffFactory(brand=sku.brand).user)
    client.get(f"/console/b/{sku.brand_id}/products/")
    client.force_login(UserFactory())
    client.post("/trade/cart/add/", {"sku_id": sku.pk, "quantity": 1})
    assert not AuditRecord.objects.filter(category=AuditCategory.STAFF).exists()


def test_every_ledger_entry_is_a_money_record_with_who_caused_it():
    cash = ledger.account("gateway_cash")
    clearing = ledger.account("platform_clearing")
    staff = UserFactory()
    token = audit._actor.set(audit.Actor(user_id=staff.pk, label=str(staff)))
    try:
        entry = ledger.post_entry(
            kind="manual_test", reference="ref-1", lines=[(cash, 500), (clearing, -500)], idempotency_key="a1"
        )
    finally:
        audit._actor.reset(token)
    ledger.post_entry(
        kind="manual_test", reference="ref-2", lines=[(cash, 1), (clearing, -1)], idempotency_key="a2"
    )
    first, second = AuditRecord.objects.filter(category=AuditCategory.MONEY).order_by("id")
    assert (first.action, first.target, first.actor_user_id) == ("ledger.manual_test", "ref-1", staff.pk)
    assert first.detail["entry_id"] == entry.pk
    assert second.actor_user_id is None and second.actor_label == ""  # the worker: "system"


def test_records_cannot_be_changed_by_the_orm_or_by_sql():
    record = audit.record(AuditCategory.STAFF, "POST x")
    record.action = "tampered"
    with pytest.raises(TypeError):
        record.save()
    with pytest.raises(TypeError):
        record.delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditRecord.objects.filter(pk=record.pk).update(action="tampered")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditrecord SET action = 'tampered'")
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM core_auditrecord")
    assert AuditRecord.objects.get(pk=record.pk).action == "POST x"


@pytest.mark.parametrize(
    ("who", "expected"), [("anonymous", 302), ("consumer", 302), ("brand_owner", 302), ("platform", 200)]
)
def test_only_platform_staff_read_the_log(client, who, expected):
    audit.record(AuditCategory.STAFF, "POST console:secret_thing", brand_id=1)
    if who == "consumer":
        client.force_login(UserFactory())
    elif who == "brand_owner":
        client.force_login(BrandStaffFactory().user)
    elif who == "platform":
        client.force_login(UserFactory(is_staff=True))
    response = client.get("/platform/audit/")
    assert response.status_code == expected
    assert ("console:secret_thing" in response.content.decode()) == (expected == 200)


def test_log_filters(client):
    client.force_login(UserFactory(is_staff=True))
    audit.record(AuditCategory.STAFF, "POST console:alpha", brand_id=7)
    audit.record(AuditCategory.MONEY, "ledger.beta")
    body = client.get("/platform/audit/?category=money").content.decode()
    assert "ledger.beta" in body and "console:alpha" not in body
    body = client.get("/platform/audit/?brand=7").content.decode()
    assert "console:alpha" in body and "ledger.beta" not in body
