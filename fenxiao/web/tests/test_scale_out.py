"""Scale-out on PostgreSQL: two gunicorn servers and two workers on 127.0.0.1 against one database,
once per task backend (the database backend; RQ on a Redis server the test starts).

Concurrent consumers check out through both servers for more units than there are; they pay at the
sandbox cashier, whose notifications the workers post back over HTTP, while the same signed
notifications are also sent again, several times, to both servers.  At the same time a flash sale
opens: more members than units press "buy" through both servers, each of them twice.  Afterwards:
no oversell (neither the SKU nor the sale), no member over the sale's limit, no duplicate order,
every payment credited once, no event delivered twice, and every timer ran at most once per period
however many workers ran.  Before the load, one worker is killed (SIGKILL) in the middle of a task:
its task is handed over again when the lease ends and commits exactly once.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection

from bench.harness import ROOT, Server, bench_env
from fenxiao.catalog.models import Sku
from fenxiao.catalog.tests.factories import SkuFactory
from fenxiao.core.events import DELIVER_JOB
from fenxiao.core.jobs import enqueue
from fenxiao.core.models import EntryStatus, OutboxEntry, OutboxEvent, TimerState
from fenxiao.core.registry import SUBSCRIBERS, TIMERS
from fenxiao.ledger.models import JournalEntry
from fenxiao.marketing.models import FlashClaim, FlashQuota
from fenxiao.marketing.tests.factories import FlashSaleFactory
from fenxiao.payments.gateways.sandbox import signed_notification, transaction_resource
from fenxiao.payments.models import Payment, PaymentStatus, SandboxTransaction
from fenxiao.trade.models import Order, OrderStatus
from fenxiao.trade.tests.factories import AddressFactory
from fenxiao.web.tests.scale_out_probe import PROBE_JOB

REDIS_SERVER = "/usr/bin/redis-server"  # Debian's redis-server (apt-get install redis-server)
LEASE_SECONDS = 20

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres_only]

BUYERS = 24
UNITS = 15
FLASH_MEMBERS = 30
FLASH_UNITS = 10
FLASH_STOCK = 500
CSRF = "0123456789abcdef0123456789abcdef"  # Django wants 32 characters


def _database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def _session_for(user) -> str:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "fenxiao.accounts.backends.PhoneOrEmailBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


def _client(session_key: str) -> requests.Session:
    client = requests.Session()
    client.cookies.set("sessionid", session_key)
    client.cookies.set("csrftoken", CSRF)
    client.headers["X-CSRFToken"] = CSRF
    return client


def _buy_and_pay(base: str, client: requests.Session, sku_id: int, address_id: int) -> str | None:
    """Add to cart, check out, open the pay page, confirm at the sandbox cashier.  The order
    number's payment reference, or None when the checkout was refused."""
    client.post(f"{base}/trade/cart/add/", data={"sku_id": sku_id, "quantity": 1}, allow_redirects=False)
    placed = client.post(f"{base}/trade/checkout/", data={"address_id": address_id}, allow_redirects=False)
    location = placed.headers.get("Location", "")
    if placed.status_code != 302 or "/payments/pay/" not in location:
        assert placed.status_code in (302, 400, 409, 422), placed.status_code  # refused, never a 500
        return None
    out_trade_no = location.rstrip("/").rsplit("/", 1)[-1]
    cashier = client.get(f"{base}{location}" if location.startswith("/") else location, allow_redirects=False)
    assert cashier.status_code == 302, cashier.status_code
    cashier_url = cashier.headers["Location"]
    cashier_url = cashier_url if cashier_url.startswith("http") else f"{base}{cashier_url}"
    confirmed = client.post(cashier_url, data={"outcome": "pay"}, allow_redirects=False)
    assert confirmed.status_code == 302, confirmed.status_code
    return out_trade_no


def _press_flash(base: str, client: requests.Session, sale_id: int, address_id: int) -> int:
    """Press "buy" on the flash sale twice (a member's double tap); how many orders it placed."""
    placed = 0
    for _ in range(2):
        answer = client.post(
            f"{base}/marketing/flash/{sale_id}/", data={"address_id": address_id}, allow_redirects=False
        )
        if answer.status_code == 302 and "/payments/pay/" in answer.headers.get("Location", ""):
            placed += 1
        else:
            assert answer.status_code in (400, 409, 422), answer.status_code  # a refusal, never a 500
    return placed


WORKER = (
    "import django; django.setup(); import fenxiao.web.tests.scale_out_probe; "
    "from django.core.management import call_command; "
    "call_command('run_worker', idle_sleep=0.1, report_every=3600)"
)


def _start_worker(env: dict) -> subprocess.Popen:
    """``manage.py run_worker`` (relay, timers and the backend's worker), with the probe job."""
    return subprocess.Popen([sys.executable, "-c", WORKER], cwd=ROOT, env=env, stdout=subprocess.DEVNULL)


@pytest.fixture(params=["database", "rq"])
def task_backend(request):
    """The task backend's settings for the servers and workers: the database backend, or RQ on
    a Redis server started here on a free port (Debian's redis-server)."""
    if request.param == "database":
        yield {"TASK_BACKEND": "database"}
        return
    if not os.path.exists(REDIS_SERVER):
        if os.environ.get("FENXIAO_REQUIRE_REDIS"):  # CI (.ci/run) installs it: never skip there
            pytest.fail(f"FENXIAO_REQUIRE_REDIS is set but {REDIS_SERVER} is missing")
        pytest.skip(f"the RQ backend's scale-out needs {REDIS_SERVER} (apt-get install redis-server)")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    workdir = tempfile.mkdtemp(prefix="fenxiao-redis-")
    server = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=workdir,
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.1)
        yield {"TASK_BACKEND": "rq", "REDIS_URL": f"redis://127.0.0.1:{port}/0"}
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


def _kill_a_worker_mid_task(workers: list[subprocess.Popen], env: dict, marker: str) -> OutboxEntry:
    """Enqueue the probe, wait until a worker runs it (it holds), SIGKILL that worker, start a
    replacement.  The probe's entry."""
    with open(marker, "w") as handle:
        handle.write("hold")
    probe = enqueue(PROBE_JOB, {"hold_file": marker, "label": "killed-mid-task"})
    deadline = time.monotonic() + 120
    while os.path.exists(marker) or not OutboxEntry.objects.get(pk=probe.pk).started_at:
        assert time.monotonic() < deadline, "no worker started the probe"
        time.sleep(0.1)
    probe.refresh_from_db()
    running_pid = int(probe.locked_by.rsplit(":", 1)[1])
    victim = next(worker for worker in workers if worker.pid == running_pid)
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=30)
    workers[workers.index(victim)] = _start_worker(env)
    return probe


def _wait_for_quiet_queue(timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        busy = OutboxEntry.objects.filter(
            status__in=[EntryStatus.QUEUED, EntryStatus.RUNNING], run_at__lte=_now()
        ).exists()
        if not busy:
            return
        time.sleep(0.5)
    raise AssertionError("the workers did not drain the queue")


def _now():
    from fenxiao.core import clock

    return clock.now()


def test_two_servers_two_workers_one_database(task_backend, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("scale-out needs PostgreSQL (several processes writing at once)")
    sku = SkuFactory(stock=UNITS, retail_price=3900)
    buyers = []
    for _ in range(BUYERS):
        address = AddressFactory()
        buyers.append((_session_for(address.consumer), address.pk))
    sale = FlashSaleFactory(
        sku=SkuFactory(stock=FLASH_STOCK, retail_price=9900), quantity=FLASH_UNITS, per_member_limit=1
    )
    members = []
    for _ in range(FLASH_MEMBERS):
        address = AddressFactory()
        members.append((_session_for(address.consumer), address.pk))

    url = _database_url()
    # Same key as this process, so the servers accept the sessions written here.
    env = {
        **bench_env(url),
        **task_backend,
        "SECRET_KEY": settings.SECRET_KEY,
        "FENXIAO_TASK_LEASE_SECONDS": str(LEASE_SECONDS),
    }
    started = time.monotonic()
    workers = [_start_worker(env), _start_worker(env)]
    try:
        probe = _kill_a_worker_mid_task(workers, env, str(tmp_path / "hold"))
        servers = [Server(url, workers=2, collect_static=False) for _ in range(2)]
        for server in servers:
            server.env.update({**task_backend, "SECRET_KEY": settings.SECRET_KEY})
        with servers[0] as first, servers[1] as second:
            bases = [first.base_url, second.base_url]
            with ThreadPoolExecutor(max_workers=BUYERS + FLASH_MEMBERS) as pool:
                flash = [
                    pool.submit(_press_flash, bases[i % 2], _client(members[i][0]), sale.pk, members[i][1])
                    for i in range(FLASH_MEMBERS)
                ]
                paid = list(
                    pool.map(
                        lambda i: _buy_and_pay(bases[i % 2], _client(buyers[i][0]), sku.pk, buyers[i][1]),
                        range(BUYERS),
                    )
                )
                flash_orders = sum(future.result() for future in flash)
            paid = [no for no in paid if no]
            # The provider re-sends: every notification again, three times, to both servers at once.
            resend = []
            for txn in SandboxTransaction.objects.filter(out_trade_no__in=paid):
                resend.append(signed_notification("TRANSACTION.SUCCESS", transaction_resource(txn)))
            with ThreadPoolExecutor(max_workers=16) as pool:
                answers = list(
                    pool.map(
                        lambda args: (
                            requests.post(
                                f"{args[0]}/payments/notify/sandbox/",
                                data=args[1][1],
                                headers=args[1][0],
                                timeout=30,
                            ).status_code
                        ),
                        [(base, note) for note in resend for base in bases for _ in range(3)],
                    )
                )
            assert set(answers) <= {200, 204}
            _wait_for_quiet_queue()
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            try:
                worker.wait(timeout=120)  # a stop lets the task running finish
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
    elapsed = time.monotonic() - started

    # No oversell, no duplicate order.
    orders = Order.objects.filter(lines__sku=sku).distinct()
    assert len(paid) == UNITS
    assert orders.count() == UNITS
    assert Sku.objects.get(pk=sku.pk).stock == 0
    assert orders.values("checkout__consumer").distinct().count() == UNITS

    # The flash sale: exactly its quantity sold, one order per winning member, nobody over the limit.
    sale.refresh_from_db()
    assert flash_orders == FLASH_UNITS
    assert sale.sold == FLASH_UNITS
    assert FlashClaim.objects.filter(sale=sale).count() == FLASH_UNITS
    assert FlashClaim.objects.filter(sale=sale).values("consumer").distinct().count() == FLASH_UNITS
    assert not FlashQuota.objects.filter(sale=sale, bought__gt=1).exists()
    assert Sku.objects.get(pk=sale.sku_id).stock == FLASH_STOCK - FLASH_UNITS

    # Every payment credited exactly once, however many notifications arrived where.
    payments = Payment.objects.filter(out_trade_no__in=paid)
    assert payments.count() == UNITS
    assert set(payments.values_list("status", flat=True)) == {PaymentStatus.SUCCEEDED}
    assert set(orders.values_list("status", flat=True)) == {OrderStatus.PAID}
    for payment in payments:
        assert (
            JournalEntry.objects.filter(kind="payment_received", reference=payment.out_trade_no).count() == 1
        )

    # The task of the killed worker: handed over again after its lease, committed exactly once.
    probe.refresh_from_db()
    assert probe.status == EntryStatus.DONE and probe.attempts == 2
    assert OutboxEvent.objects.filter(topic="tests.probe", aggregate="killed-mid-task").count() == 1

    # No event delivered twice: one delivery job per event and subscriber, each run once.
    deliveries = OutboxEntry.objects.filter(name=DELIVER_JOB)
    expected = sum(
        len(SUBSCRIBERS.get(event.topic, [])) + len(SUBSCRIBERS.get("*", []))
        for event in OutboxEvent.objects.all()
    )
    assert deliveries.count() == expected
    assert set(deliveries.values_list("status", flat=True)) <= {EntryStatus.DONE}
    assert not deliveries.filter(attempts__gt=1).exists()

    # Timers: each ran, never more than once per period across both workers.
    for state in TimerState.objects.all():
        every = TIMERS[state.name].every.total_seconds()
        assert 1 <= state.runs <= int(elapsed // every) + 1, (state.name, state.runs, elapsed)
