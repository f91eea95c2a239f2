import pytest

from fenxiao.accounts.tests.factories import UserFactory


def test_healthz(client):
    assert client.get("/healthz").json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_checks_database(client):
    assert client.get("/readyz").status_code == 200


@pytest.mark.django_db
def test_ping_needs_sign_in(client):
    assert client.get("/ping").status_code == 401
    user = UserFactory()
    client.force_login(user)
    assert client.get("/ping").json() == {"user": user.pk}
