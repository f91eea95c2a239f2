from datetime import timedelta

import pytest

from fenxiao.accounts import throttling
from fenxiao.accounts.models import SignInFailure
from fenxiao.core import clock

from .factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def _sign_in(client, identifier, password, ip="198.51.100.7"):
    return client.post("/accounts/signin/", {"identifier": identifier, "password": password}, REMOTE_ADDR=ip)


def _signed_in_as(client):
    return client.get("/ping").json().get("user")


def test_account_locks_after_repeated_failures_even_for_the_right_password(client):
    user = UserFactory()
    for _ in range(throttling.MAX_FAILURES_PER_ACCOUNT):
        assert _sign_in(client, user.phone, "wrong-password").status_code == 400
    response = _sign_in(client, user.phone, DEFAULT_PASSWORD)
    assert response.status_code == 429
    assert "Too many failed sign-ins for this account. Try again in 15 minutes." in response.content.decode()
    assert _signed_in_as(client) is None


def test_lock_ends_when_the_window_passes_and_success_clears_failures(client):
    user = UserFactory()
    for _ in range(throttling.MAX_FAILURES_PER_ACCOUNT):
        _sign_in(client, user.phone, "wrong-password")
    clock.advance(throttling.WINDOW - timedelta(minutes=1))
    assert _sign_in(client, user.phone, DEFAULT_PASSWORD).status_code == 429
    clock.advance(timedelta(minutes=1, seconds=1))
    assert _sign_in(client, user.phone, DEFAULT_PASSWORD).status_code == 302
    assert _signed_in_as(client) == user.pk
    assert not SignInFailure.objects.exists()


def test_failures_are_counted_per_account_whatever_the_spelling(client):
    user = UserFactory(email="Tea.Lover@example.com")
    for spelling in ["tea.lover@example.com", " TEA.LOVER@example.com", "Tea.Lover@example.com"] * 2:
        _sign_in(client, spelling, "wrong-password", ip=f"203.0.113.{len(spelling)}")
    assert _sign_in(client, user.email, DEFAULT_PASSWORD).status_code == 429


def test_other_accounts_are_not_locked_by_one_accounts_failures(client):
    victim, bystander = UserFactory(), UserFactory()
    for _ in range(throttling.MAX_FAILURES_PER_ACCOUNT):
        _sign_in(client, victim.phone, "wrong-password")
    assert _sign_in(client, bystander.phone, DEFAULT_PASSWORD).status_code == 302


def test_one_address_spraying_many_accounts_is_throttled(client):
    users = UserFactory.create_batch(3)
    for attempt in range(throttling.MAX_FAILURES_PER_IP):
        _sign_in(client, f"1390000{attempt:04d}", "wrong-password", ip="192.0.2.50")
    response = _sign_in(client, users[0].phone, DEFAULT_PASSWORD, ip="192.0.2.50")
    assert response.status_code == 429
    assert "from your network" in response.content.decode()
    assert _sign_in(client, users[0].phone, DEFAULT_PASSWORD, ip="192.0.2.51").status_code == 302


def test_identifiers_are_stored_hashed(client):
    _sign_in(client, "13911112222", "wrong-password")
    failure = SignInFailure.objects.get()
    assert "13911112222" not in failure.identifier_hash
    assert failure.identifier_hash == throttling.identifier_hash("13911112222")


def test_forwarded_address_is_used_only_behind_a_trusted_proxy(client, settings):
    user = UserFactory()
    settings.TRUSTED_PROXY_COUNT = 1
    for attempt in range(throttling.MAX_FAILURES_PER_IP):
        client.post(
            "/accounts/signin/",
            {"identifier": f"1380000{attempt:04d}", "password": "x"},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR="192.0.2.9, 192.0.2.77",
        )
    assert SignInFailure.objects.filter(ip="192.0.2.77").count() == throttling.MAX_FAILURES_PER_IP
    ok = client.post(
        "/accounts/signin/",
        {"identifier": user.phone, "password": DEFAULT_PASSWORD},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="192.0.2.78",
    )
    assert ok.status_code == 302
