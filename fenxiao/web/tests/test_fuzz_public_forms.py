"""Fuzzing the public forms with hypothesis: whatever a client sends, the answer is a page or a
clear 4xx — never a server error — and an invalid submission writes nothing."""

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fenxiao.accounts.models import User
from fenxiao.accounts.tests.factories import UserFactory
from fenxiao.catalog.tests.factories import SkuFactory
from fenxiao.trade.models import Address, CartItem, Order

pytestmark = pytest.mark.django_db

FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
# Text as hostile clients send it: empty, huge, control characters, SQL and markup, numbers as text.
text = st.one_of(
    st.text(max_size=300),
    st.sampled_from(
        ["", " ", "0", "-1", "1e309", "NaN", "' OR 1=1 --", "<script>x</script>", "\x00", "9" * 40]
    ),
)
maybe_text = st.one_of(st.none(), text)


def _post(client: Client, url: str, fields: dict) -> int:
    data = {k: v for k, v in fields.items() if v is not None}
    return client.post(url, data).status_code


@FUZZ
@given(
    phone=maybe_text,
    sms_code=maybe_text,
    email=maybe_text,
    password1=maybe_text,
    password2=maybe_text,
    name=maybe_text,
)
def test_sign_up(phone, sms_code, email, password1, password2, name):
    before = User.objects.count()
    status = _post(
        Client(),
        "/accounts/signup/",
        {
            "phone": phone,
            "sms_code": sms_code,
            "email": email,
            "password1": password1,
            "password2": password2,
            "display_name": name,
        },
    )
    assert status in (200, 302, 400)  # 200: an empty POST shows the blank form again
    assert (User.objects.count() == before + 1) == (status == 302)


@FUZZ
@given(identifier=maybe_text, password=maybe_text)
def test_sign_in(identifier, password):
    status = _post(Client(), "/accounts/signin/", {"identifier": identifier, "password": password})
    assert status in (200, 400, 429)


@FUZZ
@given(phone=maybe_text, purpose=maybe_text, code=maybe_text)
def test_sms_send_and_sign_in(phone, purpose, code):
    """A code is sent only to a well-formed number; the SMS sign-in signs nobody in by guessing."""
    client = Client()
    status = client.post(
        "/accounts/sms/send/",
        {k: v for k, v in {"phone": phone, "purpose": purpose}.items() if v is not None},
        HTTP_ACCEPT="application/json",
    ).status_code
    assert status in (200, 400, 429)
    status = _post(client, "/accounts/signin/sms/", {"phone": phone, "sms_code": code})
    assert status in (200, 400)


@pytest.fixture
def consumer_client():
    client = Client()
    user = UserFactory()
    client.force_login(user)
    return client, user


@FUZZ
@given(
    fields=st.fixed_dictionaries(
        {
            **{k: maybe_text for k in ("name", "phone", "detail")},
            **{
                k: st.one_of(maybe_text, st.sampled_from(["330000", "330100", "330106", "110000", "999999"]))
                for k in ("province_code", "city_code", "district_code")
            },
        }
    )
)
def test_address_form(consumer_client, fields):
    client, user = consumer_client
    before = Address.objects.filter(consumer=user).count()
    status = _post(client, "/trade/addresses/", fields)
    assert status in (200, 302, 400)
    grew = Address.objects.filter(consumer=user).count() - before
    assert grew in (0, 1) and (grew == 1) == (status == 302)


@FUZZ
@given(sku_id=maybe_text, quantity=maybe_text, price=maybe_text)
def test_cart_add(consumer_client, sku_id, quantity, price):
    client, user = consumer_client
    SkuFactory(stock=3)
    before = list(CartItem.objects.filter(consumer=user).values_list("sku_id", "quantity"))
    status = _post(client, "/trade/cart/add/", {"sku_id": sku_id, "quantity": quantity, "price": price})
    assert status < 500
    if status >= 400:
        assert list(CartItem.objects.filter(consumer=user).values_list("sku_id", "quantity")) == before


@FUZZ
@given(address_id=maybe_text, note=maybe_text, total=maybe_text)
def test_checkout(consumer_client, address_id, note, total):
    client, user = consumer_client
    status = _post(client, "/trade/checkout/", {"address_id": address_id, "note": note, "total": total})
    assert status < 500
    assert not Order.objects.filter(consumer=user).exists()  # an empty cart never becomes an order
