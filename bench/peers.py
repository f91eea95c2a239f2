"""fenxiao against django-oscar 4.2, side by side: same machine, same run, same load generator.

    uv run python bench/peers.py [--clients 16] [--requests 200] [--checkouts 25] [--workers 5]

1. Installs django-oscar (pinned in bench/peers/oscar-requirements.txt) into its own throw-away
   virtual environment, bench/.peers-venv (git-ignored; made again when the pins change; never
   fenxiao's environment or lock file).  This is the only download: ``python3 -m venv`` + pip.
2. On one PostgreSQL server (DATABASE_URL's, or a throwaway local one, bench/pg.py) builds two
   databases with the same catalogue: 5 products, each with 9 variants in two attributes
   (颜色 × 尺码), stock for the whole run, one category holding them, and per client a signed-in
   customer with an address.  Oscar's shop is bench/peers/oscar_shop (Oscar's documented set-up,
   Whoosh search, one shipping method, a payment step that completes at once).
3. Counts the SQL statements of one request of each path on each side with Django's
   ``CaptureQueriesContext`` (bench/peers/count_queries.py, run by each project's own python
   through the test client, after one warm-up request).
4. Serves both with gunicorn under the same worker count, both running at once, and drives both
   from the same client processes, path by path, in interleaved rounds (fenxiao then Oscar, then
   Oscar then fenxiao, …) so that each pair of figures is taken under the same conditions:

   - trivial endpoint: ``GET /ping`` on each (session, user, JSON), so each side has its own ratio;
   - product page, signed in: fenxiao ``/shop/p/<id>/``, Oscar ``/catalogue/<slug>_<id>/``;
   - category page: fenxiao ``/shop/c/<id>/``, Oscar ``/catalogue/category/<slug>_<id>/``;
   - search ``q=压测商品`` (5 hits): fenxiao ``/shop/search/``, Oscar ``/search/``;
   - checkout to a placed order, payment gateway excluded on both sides (each writes its payment
     record in the order's request and calls no gateway): fenxiao ``POST /trade/cart/add/`` +
     ``POST /trade/checkout/`` (2 requests; the order awaits the cashier), Oscar
     ``POST /basket/add/<id>/`` + ``POST /checkout/shipping-address/`` (the saved address) +
     ``GET /checkout/shipping-method/`` (the one method, chosen for the customer) +
     ``POST /checkout/preview/`` ``action=place_order`` (4 requests; a payment source recorded
     as debited in full).  Its figure is checkouts per second.

Prints one table and writes bench/results/peers.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import (  # noqa: E402
    RESULTS,
    Result,
    Server,
    bench_env,
    collect_load,
    machine_meta,
    summarize,
    write_json,
)
from bench.pg import postgres_url, recreate_database  # noqa: E402

PEERS = ROOT / "bench" / "peers"
REQUIREMENTS = PEERS / "oscar-requirements.txt"
VENV = ROOT / "bench" / ".peers-venv"
SEARCH = "压测商品"

FENXIAO_SETUP = r"""
import json
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from fenxiao.accounts.models import Brand, BrandStatus, User
from fenxiao.catalog.models import Category, Product, ProductStatus, Sku
from fenxiao.trade.models import Address

customers = CUSTOMERS
brand, _ = Brand.objects.get_or_create(slug="bench-peers", defaults={"name": "压测品牌", "status": BrandStatus.APPROVED})
category = Category.objects.create(name="压测类目")
products = []
for p in range(5):
    product = Product.objects.create(brand=brand, category=category, title=f"压测商品 {p}", description="压测用的商品说明。" * 20, status=ProductStatus.ON_SALE, spec_names=["颜色", "尺码"])
    skus = []
    for colour in ("红", "蓝", "黑"):
        for size in ("S", "M", "L"):
            skus.append(Sku.objects.create(product=product, brand=brand, spec_values={"颜色": colour, "尺码": size}, spec_key=f"颜色={colour};尺码={size}", stock=10**8, retail_price=9900, price_min=9900, price_max=9900).pk)
    products.append({"id": product.pk, "url": f"/shop/p/{product.pk}/", "skus": skus})
buyers = []
for i in range(customers):
    user = User.objects.create_user(phone=f"187{i:08d}", password=None, display_name=f"buyer {i}")
    address = Address.objects.create(consumer=user, name="压测", phone="13900000000", province="浙江省", city="杭州市", detail="1 号", is_default=True)
    s = SessionStore()
    s[SESSION_KEY] = str(user.pk); s[BACKEND_SESSION_KEY] = "fenxiao.accounts.backends.PhoneOrEmailBackend"; s[HASH_SESSION_KEY] = user.get_session_auth_hash()
    s.create()
    buyers.append({"session": s.session_key, "address": address.pk})
print(json.dumps({"products": products, "category": f"/shop/c/{category.pk}/", "buyers": buyers}))
"""

# The paths, in the order they run; the checkout last (it changes baskets and stock).
PATHS = ["trivial GET /ping", "product page", "category page", "search", "checkout"]


def _step(method: str, url: str, data: dict | None, status: int, contains: str = "") -> dict:
    return {"method": method, "url": url, "data": data, "status": status, "contains": contains}


def fenxiao_steps(data: dict, buyer: dict, n: int) -> dict[str, list[dict]]:
    """The requests of each path for the ``n``-th repetition (products and variants rotate)."""
    product = data["products"][n % len(data["products"])]
    sku = product["skus"][(n // len(data["products"])) % len(product["skus"])]
    return {
        "trivial GET /ping": [_step("GET", "/ping", None, 200)],
        "product page": [_step("GET", product["url"], None, 200, SEARCH)],
        "category page": [_step("GET", data["category"], None, 200, SEARCH)],
        "search": [_step("GET", "/shop/search/", {"q": SEARCH}, 200, SEARCH)],
        "checkout": [
            _step("POST", "/trade/cart/add/", {"sku_id": sku, "quantity": 1}, 302),
            _step("POST", "/trade/checkout/", {"address_id": buyer["address"]}, 302, "/payments/pay/"),
        ],
    }


def oscar_steps(data: dict, buyer: dict, n: int) -> dict[str, list[dict]]:
    product = data["products"][n % len(data["products"])]
    child = product["children"][(n // len(data["products"])) % len(product["children"])]
    return {
        "trivial GET /ping": [_step("GET", "/ping", None, 200)],
        "product page": [_step("GET", product["url"], None, 200, SEARCH)],
        "category page": [_step("GET", data["category"], None, 200, SEARCH)],
        "search": [_step("GET", "/search/", {"q": SEARCH}, 200, SEARCH)],
        "checkout": [
            _step("POST", f"/basket/add/{product['id']}/", {"child_id": child, "quantity": 1}, 302),
            _step(
                "POST",
                "/checkout/shipping-address/",
                {"action": "ship_to", "address_id": buyer["address"]},
                302,
                "/checkout/shipping-method/",
            ),
            _step("GET", "/checkout/shipping-method/", None, 302, "/checkout/payment-method/"),
            _step("POST", "/checkout/preview/", {"action": "place_order"}, 302, "/checkout/thank-you/"),
        ],
    }


# --- the Oscar environment and project --------------------------------------------------------


def oscar_python(venv: Path) -> Path:
    """The Oscar environment's python, (re)made when bench/peers/oscar-requirements.txt changed."""
    python = venv / "bin" / "python"
    pins = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    marker = venv / ".requirements-sha256"
    if python.exists() and marker.exists() and marker.read_text().strip() == pins:
        return python
    print(f"installing django-oscar ({REQUIREMENTS.relative_to(ROOT)}) into {venv} …", flush=True)
    shutil.rmtree(venv, ignore_errors=True)
    base = shutil.which("python3") or sys.executable
    subprocess.run([base, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
            str(REQUIREMENTS),
        ],
        check=True,
    )
    marker.write_text(pins + "\n")
    return python


def oscar_env(url: str, scratch: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env.update(
        {
            "DATABASE_URL": url,
            "DJANGO_SETTINGS_MODULE": "oscar_shop.settings",
            "OSCAR_MEDIA_ROOT": str(scratch / "media"),
            "OSCAR_WHOOSH_PATH": str(scratch / "whoosh"),
            "CONN_MAX_AGE": "60",
            "PYTHONWARNINGS": "ignore",  # Haystack/Whoosh warn on every query about facets
        }
    )
    return env


class OscarServer(Server):
    """The harness's gunicorn server, serving the Oscar shop from its own environment."""

    def __init__(self, python: Path, env: dict[str, str], workers: int) -> None:
        super().__init__(env["DATABASE_URL"], workers=workers, collect_static=False)
        self.env = env
        self.python = python

    def __enter__(self) -> OscarServer:
        self.process = subprocess.Popen(
            [
                str(self.python),
                "-m",
                "gunicorn",
                "oscar_shop.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.workers),
                "--threads",
                str(self.threads),
                "--log-level",
                "warning",
                "--keep-alive",
                "30",
            ],
            cwd=PEERS,
            env=self.env,
        )
        self._wait_ready()
        return self


# --- preparing, counting, driving -----------------------------------------------------------


def _last_json(output: str) -> dict:
    return json.loads(output.strip().splitlines()[-1])


def prepare_fenxiao(url: str, customers: int) -> dict:
    env = bench_env(url)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", FENXIAO_SETUP.replace("CUSTOMERS", str(customers))],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    return _last_json(out.stdout)


def prepare_oscar(python: Path, env: dict[str, str], customers: int) -> dict:
    django = [str(python), "-m", "django"]
    subprocess.run([*django, "migrate", "--noinput", "-v", "0"], cwd=PEERS, env=env, check=True)
    out = subprocess.run(
        [str(python), "oscar_setup.py", str(customers)],
        cwd=PEERS,
        env=env,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    subprocess.run(
        [*django, "rebuild_index", "--noinput", "-v", "0"],
        cwd=PEERS,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return _last_json(out.stdout)


def count_statements(
    python: str, cwd: Path, env: dict[str, str], buyer: dict, steps: dict, sql: bool = False
) -> dict:
    spec = {"session": buyer["session"], "paths": steps, "sql": sql}
    out = subprocess.run(
        [python, str(PEERS / "count_queries.py")],
        cwd=cwd,
        env=env,
        input=json.dumps(spec),
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    return _last_json(out.stdout)


def make_session(base_url: str, buyer: dict, csrf: str):
    import requests

    session = requests.Session()
    session.cookies.set("sessionid", buyer["session"])
    session.cookies.set("csrftoken", csrf)
    session.headers["X-CSRFToken"] = csrf
    session.base = base_url
    return session


def run_steps(session, steps: list[dict]) -> bool:
    for step in steps:
        if step["method"] == "GET":
            answer = session.get(session.base + step["url"], params=step["data"], allow_redirects=False)
        else:
            answer = session.post(session.base + step["url"], data=step["data"], allow_redirects=False)
        if answer.status_code != step["status"]:
            return False
        if step["contains"]:
            where = answer.headers.get("Location", "") if answer.status_code == 302 else answer.text
            if step["contains"] not in where:
                return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=16, help="concurrent client processes")
    parser.add_argument("--requests", type=int, default=200, help="requests per client, path and side")
    parser.add_argument("--checkouts", type=int, default=25, help="checkouts per client and side")
    parser.add_argument(
        "--rounds", type=int, default=2, help="interleaved rounds per path (fenxiao/Oscar alternate)"
    )
    parser.add_argument(
        "--workers", type=int, default=2 * (os.cpu_count() or 2) + 1, help="gunicorn workers of each server"
    )
    parser.add_argument("--venv", type=Path, default=VENV, help="where the Oscar environment lives")
    parser.add_argument(
        "--sql",
        action="store_true",
        help="also write every counted statement to bench/results/peers-sql.json",
    )
    parser.add_argument("--count-only", action="store_true", help="count the statements, no load")
    args = parser.parse_args()

    python = oscar_python(args.venv)
    customers = args.clients + 1  # the last one is the statement counter's
    with (
        postgres_url("fenxiao_bench_peers") as url,
        tempfile.TemporaryDirectory(prefix="oscar-bench-") as tmp,
    ):
        oscar_url = url.rsplit("/", 1)[0] + "/oscar_bench_peers"
        recreate_database(url)
        recreate_database(oscar_url)
        env = oscar_env(oscar_url, Path(tmp))
        print(f"preparing {url.rsplit('@', 1)[-1]} and {oscar_url.rsplit('/', 1)[-1]} …", flush=True)
        fdata = prepare_fenxiao(url, customers)
        odata = prepare_oscar(python, env, customers)

        counter = customers - 1
        statements = {
            "fenxiao": count_statements(
                sys.executable,
                ROOT,
                {**bench_env(url), "STATIC_MANIFEST": "0"},  # nothing collected yet
                fdata["buyers"][counter],
                fenxiao_steps(fdata, fdata["buyers"][counter], 0),
                args.sql,
            ),
            "oscar": count_statements(
                str(python),
                PEERS,
                env,
                odata["buyers"][counter],
                oscar_steps(odata, odata["buyers"][counter], 0),
                args.sql,
            ),
        }
        for path in PATHS:
            print(
                f"  SQL statements, {path:<20} fenxiao {statements['fenxiao'][path]['per_step']}"
                f" (first in a process {statements['fenxiao'][path]['first_in_process']})"
                f"  Oscar {statements['oscar'][path]['per_step']}"
                f" (first in a process {statements['oscar'][path]['first_in_process']})"
            )
        if args.sql:
            RESULTS.mkdir(parents=True, exist_ok=True)
            (RESULTS / "peers-sql.json").write_text(json.dumps(statements, indent=2, ensure_ascii=False))
            print("statements written to bench/results/peers-sql.json")
        if args.count_only:
            return
        csrf = secrets.token_hex(16)
        sides = {"fenxiao": (fdata, fenxiao_steps), "oscar": (odata, oscar_steps)}
        raw: dict[tuple[str, str], list] = {}
        with Server(url, workers=args.workers) as fserver, OscarServer(python, env, args.workers) as oserver:
            bases = {"fenxiao": fserver.base_url, "oscar": oserver.base_url}

            def load(side: str, path: str, per_worker: int) -> tuple[list[float], int, float]:
                data, steps_of = sides[side]

                def make_client(index: int):
                    session = make_session(bases[side], data["buyers"][index], csrf)
                    session.buyer = data["buyers"][index]
                    return session

                def do(session, n: int) -> bool:
                    return run_steps(session, steps_of(data, session.buyer, n)[path])

                return collect_load(make_client, do, concurrency=args.clients, requests_per_worker=per_worker)

            # Every worker process of both servers serves every path before anything is timed
            # (imports, templates, URL resolvers, Whoosh's index, per-process caches).
            warm = max(2, -(-3 * args.workers // args.clients))
            print(f"warming up both servers ({warm} of each path per client) …", flush=True)
            for path in PATHS:
                for side in sides:
                    load(side, path, warm)
            for path in PATHS:
                per_worker = max(1, (args.checkouts if path == "checkout" else args.requests) // args.rounds)
                for rnd in range(args.rounds):
                    for side in ("fenxiao", "oscar") if rnd % 2 == 0 else ("oscar", "fenxiao"):
                        lats, errors, elapsed = load(side, path, per_worker)
                        print(
                            f"  {path:<20} round {rnd + 1} {side:<8} {len(lats) / elapsed:8.1f}/s  errors {errors}"
                        )
                        acc = raw.setdefault((path, side), [[], 0, 0.0])
                        acc[0].extend(lats)
                        acc[1] += errors
                        acc[2] += elapsed

    results: dict[str, Result] = {}
    for (path, side), (lats, errors, elapsed) in raw.items():
        results[f"{side}:{path}"] = summarize(f"{side}: {path}", lats, errors, elapsed)
    rows = []
    for path in PATHS:
        f, o = results[f"fenxiao:{path}"], results[f"oscar:{path}"]
        fping, oping = results["fenxiao:trivial GET /ping"], results["oscar:trivial GET /ping"]
        f.ratio_to_trivial = round(f.per_second / fping.per_second, 3)
        o.ratio_to_trivial = round(o.per_second / oping.per_second, 3)
        key = "ping" if path.startswith("trivial") else path
        fsql, osql = statements["fenxiao"][path], statements["oscar"][path]
        rows.append(
            {
                "path": key,
                "fenxiao": f,
                "oscar": o,
                "fenxiao_over_oscar": round(f.per_second / o.per_second, 2),
                "fenxiao_statements": fsql["statements"],
                "oscar_statements": osql["statements"],
                "fenxiao_statements_per_step": fsql["per_step"],
                "oscar_statements_per_step": osql["per_step"],
                # the first request of a path in a fresh process (caches still empty)
                "fenxiao_statements_first_in_process": fsql["first_in_process"],
                "oscar_statements_first_in_process": osql["first_in_process"],
            }
        )
    print_peers_table(rows)
    meta = {
        **machine_meta(),
        "workers": args.workers,
        "clients": args.clients,
        "requests": args.requests,
        "checkouts": args.checkouts,
        "rounds": args.rounds,
        "database": "postgresql",
        "oscar": "django-oscar 4.2.1 (bench/peers/oscar-requirements.txt)",
        "checkout": "per second = checkouts (fenxiao 2 requests, Oscar 4); payment gateway excluded on both",
    }
    write_json("peers", [r for row in rows for r in (row["fenxiao"], row["oscar"])], meta)
    path = ROOT / "bench" / "results" / "peers.json"
    payload = json.loads(path.read_text())
    payload["table"] = [
        {**row, "fenxiao": row["fenxiao"].name, "oscar": row["oscar"].name} | _figures(row) for row in rows
    ]
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False))
    if any(r.errors for r in results.values()):
        raise SystemExit("some requests failed (see the errors column)")


def _figures(row: dict) -> dict:
    f, o = row["fenxiao"], row["oscar"]
    return {
        "fenxiao_per_second": f.per_second,
        "oscar_per_second": o.per_second,
        "fenxiao_p50_ms": f.p50_ms,
        "fenxiao_p99_ms": f.p99_ms,
        "oscar_p50_ms": o.p50_ms,
        "oscar_p99_ms": o.p99_ms,
        "fenxiao_ratio_to_own_ping": f.ratio_to_trivial,
        "oscar_ratio_to_own_ping": o.ratio_to_trivial,
        "errors": f.errors + o.errors,
    }


def print_peers_table(rows: list[dict]) -> None:
    header = (
        f"{'path':<16}{'fenxiao/s':>10}{'Oscar/s':>9}{'f/O':>6}"
        f"{'fenxiao p50/p99 ms':>20}{'Oscar p50/p99 ms':>19}{'SQL f':>7}{'SQL O':>7}"
        f"{'f/ping':>8}{'O/ping':>8}{'errors':>7}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        f, o = row["fenxiao"], row["oscar"]
        print(
            f"{row['path']:<16}{f.per_second:>10}{o.per_second:>9}{row['fenxiao_over_oscar']:>6.2f}"
            f"{f'{f.p50_ms:.0f} / {f.p99_ms:.0f}':>20}{f'{o.p50_ms:.0f} / {o.p99_ms:.0f}':>19}"
            f"{row['fenxiao_statements']:>7}{row['oscar_statements']:>7}"
            f"{f.ratio_to_trivial:>8.2f}{o.ratio_to_trivial:>8.2f}{f.errors + o.errors:>7}"
        )
    print(
        "checkout: per second = checkouts (fenxiao 2 requests, Oscar 4); SQL = statements of the whole checkout"
    )


if __name__ == "__main__":
    main()
