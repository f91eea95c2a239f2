"""The order extension contract: one way in, registered once per app, twins required at
start-up, and the "Life of an order" in docs/architecture.md equal to the registrations."""

from __future__ import annotations

import re
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models.signals import post_delete, post_save, pre_save

from fenxiao.trade import extensions
from fenxiao.trade.extensions import Attribution, OrderExtension

ROOT = Path(settings.BASE_DIR)
FENXIAO = ROOT / "fenxiao"
LIFE_START = "<!-- life-of-an-order:start -->"
LIFE_END = "<!-- life-of-an-order:end -->"


@pytest.fixture
def clean_registry(monkeypatch):
    """An empty registry for the test, the real one back afterwards."""
    monkeypatch.setattr(extensions, "_EXTENSIONS", [])
    monkeypatch.setattr(extensions, "_ACTING", {name: [] for name in extensions.METHODS})
    monkeypatch.setattr(extensions, "_ADJUSTERS", [])


@pytest.mark.parametrize(("per_order", "twin"), list(extensions.TWINS.items()))
def test_a_settlement_step_without_its_twin_is_refused_at_start_up(clean_registry, per_order, twin):
    only_per_order = type("OnlyPerOrder", (OrderExtension,), {per_order: lambda self, *a: None})
    with pytest.raises(ImproperlyConfigured, match=f"implements {per_order} but not its twin {twin}"):
        extensions.register(only_per_order())
    only_twin = type("OnlyTwin", (OrderExtension,), {twin: lambda self, *a: None})
    with pytest.raises(ImproperlyConfigured, match=f"implements {twin} but not its twin {per_order}"):
        extensions.register(only_twin())
    both = type("Both", (OrderExtension,), {per_order: lambda self, *a: None, twin: lambda self, *a: None})
    extensions.register(both())
    assert extensions.acting(per_order) == extensions.acting(twin) == extensions.registered()


def test_one_extension_attributes_orders_and_each_registers_once(clean_registry):
    class First(OrderExtension):
        def attribute(self, *, consumer, brand):
            return Attribution()

    class Second(First):
        pass

    extensions.register(First())
    with pytest.raises(ImproperlyConfigured, match=r"attributed by \S*First already"):
        extensions.register(Second())
    with pytest.raises(ImproperlyConfigured, match="registered twice"):
        extensions.register(First())


def test_price_adjusters_run_by_position_and_a_name_is_used_once(clean_registry):
    class Late(OrderExtension):
        def price_adjusters(self):
            return [extensions.PriceAdjuster(40, "late", lambda orders, consumer: None)]

    class Early(OrderExtension):
        def price_adjusters(self):
            return [extensions.PriceAdjuster(10, "early", lambda orders, consumer: None)]

    class Again(OrderExtension):
        def price_adjusters(self):
            return [extensions.PriceAdjuster(20, "early", lambda orders, consumer: None)]

    extensions.register(Late())
    extensions.register(Early())
    assert [a.name for a in extensions.price_adjusters()] == ["early", "late"]
    with pytest.raises(ImproperlyConfigured, match="two price adjusters are named 'early'"):
        extensions.register(Again())


def test_dispatch_merges_and_takes_the_longest_delay(clean_registry):
    class A(OrderExtension):
        def units_not_to_ship(self, order):
            return {1: 2}

        def settlement_delay(self, order):
            return timedelta(days=3)

        def settlement_delay_sql(self):
            raise AssertionError("not used here")

    class B(OrderExtension):
        def units_not_to_ship(self, order):
            return {1: 1, 2: 5}

        def settlement_delay(self, order):
            return timedelta(days=7)

        def settlement_delay_sql(self):
            raise AssertionError("not used here")

    extensions.register(A())
    extensions.register(B())
    assert extensions.units_held(object()) == {1: 3, 2: 5}
    assert extensions.settlement_delay(object()) == timedelta(days=7)


def test_every_app_plugs_in_once_from_its_ready_in_a_module_named_order_extension():
    registered = extensions.registered()
    assert {type(e).__module__ for e in registered} == {
        "fenxiao.distribution.order_extension",
        "fenxiao.aftersales.order_extension",
        "fenxiao.crm.order_extension",
        "fenxiao.marketing.order_extension",
    }
    for extension in registered:
        app = apps.get_containing_app_config(type(extension).__module__)
        ready = Path(__import__(app.module.__name__ + ".apps", fromlist=["x"]).__file__).read_text()
        assert f"extensions.register({type(extension).__name__}())" in ready, app.label


def test_grep_for_the_contract_names_every_app_that_touches_an_order():
    """``grep -rn "^class .*(OrderExtension)" fenxiao`` answers "who touches an order?": one line
    per app, the classes that are registered (tests aside)."""
    found = subprocess.run(
        ["grep", "-rn", "--include=*.py", "^class .*(OrderExtension)", str(FENXIAO)],
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    found = [line for line in found if "/tests/" not in line]
    classes = [re.search(r"class (\w+)\(OrderExtension\)", line).group(1) for line in found]
    assert sorted(classes) == sorted(type(e).__name__ for e in extensions.registered())


def test_no_signal_and_no_hook_list_on_the_order_path():
    from fenxiao.trade.models import Checkout, Order, OrderLine, OrderTransition, Shipment

    for model in (Order, OrderLine, Checkout, Shipment, OrderTransition):
        for signal in (pre_save, post_save, post_delete):
            assert not signal.has_listeners(model), (signal, model)
    assert not (FENXIAO / "trade" / "hooks.py").exists()
    assert not (FENXIAO / "trade" / "attribution.py").exists()


def test_the_life_of_an_order_in_the_docs_is_the_registrations():
    """docs/architecture.md's table is generated: ``python manage.py life_of_an_order --write``."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    documented = text.split(LIFE_START, 1)[1].split(LIFE_END, 1)[0].strip()
    assert documented == extensions.life_of_an_order().strip()


def test_the_life_of_an_order_names_the_function_that_acts():
    table = extensions.life_of_an_order()
    assert "`distribution.commission.record_commissions`" in table  # paid, in the distribution column
    assert "`crm.points.earn_for_completed`" in table  # received
    assert "`distribution.commission.available_at_settlement_sql`" in table  # a settlement twin
    assert "(coupon, 30)" in table and "(member_price, 10)" in table  # the pricing pipeline
