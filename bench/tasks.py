"""Background tasks: throughput of the queue and the outbox relay's lag under checkout load.

    uv run python bench/tasks.py [--backend database|rq] [--tasks 2000] [--workers 2]
                                 [--buyers 4] [--checkouts 15]

1. Tasks per second: ``--tasks`` no-op jobs are written to the outbox in one transaction, then
   ``--workers`` worker processes (``manage.py run_worker``) drain them; the figure is tasks
   divided by the seconds from the workers' start to the last task done.
2. Relay lag under checkout: a gunicorn server takes ``--buyers`` × ``--checkouts`` checkouts
   (cart add + checkout, bench/checkout.py's flow) while the workers run; every event delivery
   the checkouts wrote is measured from its commit (``created_at``) to its start (``started_at``,
   when the table has it) and to its end (``finished_at``).

PostgreSQL as in the other benchmarks (DATABASE_URL or a throwaway server, bench/pg.py).  With
``--backend rq`` the benchmark starts Debian's ``redis-server`` on a free port.  The same script
measured the old home-grown queue (``core.worker``, before issue 20) and the Tasks-framework
backends after it; results go to bench/results/tasks-<backend>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.checkout import SETUP  # noqa: E402
from bench.harness import Server, bench_env, free_port, machine_meta, run_load  # noqa: E402
from bench.pg import postgres_url, recreate_database  # noqa: E402

WORKER = "import django; django.setup(); import bench.tasks_probe; from django.core.management import call_command; call_command('run_worker', idle_sleep=0.05, report_every=3600)"


def _table() -> tuple[str, bool]:
    """The queue's table, and whether it records when a task started (the Tasks layer does)."""
    from django.apps import apps

    try:
        return apps.get_model("core", "OutboxEntry")._meta.db_table, True
    except LookupError:
        return apps.get_model("core", "Job")._meta.db_table, False


def _count(sql: str, params: list | tuple = ()) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def _wait_done(table: str, where: str, total: int, label: str, timeout: float = 1800) -> float:
    started = time.monotonic()
    last = -1
    while time.monotonic() - started < timeout:
        done = _count(f"SELECT COUNT(*) FROM {table} WHERE status = 'done' AND {where}")
        if done != last:
            print(f"  {label}: {done}/{total} done", flush=True)
            last = done
        if done >= total:
            return time.monotonic() - started
        time.sleep(0.2)
    raise SystemExit(f"{label}: the workers did not finish in {timeout} s")


def _redis() -> tuple[subprocess.Popen, str, str]:
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not Path(binary).exists():
        raise SystemExit("--backend rq needs Debian's redis-server (apt-get install redis-server)")
    port = free_port()
    workdir = tempfile.mkdtemp(prefix="fenxiao-bench-redis-")
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            workdir,
        ],
        stdout=subprocess.DEVNULL,
    )
    time.sleep(0.5)
    return process, f"redis://127.0.0.1:{port}/0", workdir


def _percentiles(values: list[float]) -> dict:
    if not values:
        return {}
    values = sorted(values)
    return {
        "n": len(values),
        "p50_ms": round(statistics.median(values) * 1000, 1),
        "p99_ms": round(values[min(len(values) - 1, int(len(values) * 0.99))] * 1000, 1),
        "max_ms": round(values[-1] * 1000, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", choices=["database", "rq"], default="database")
    parser.add_argument("--tasks", type=int, default=2000, help="no-op tasks for the throughput run")
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument("--buyers", type=int, default=4, help="concurrent checkout clients")
    parser.add_argument("--checkouts", type=int, default=15, help="checkouts per client")
    parser.add_argument("--label", default="", help="name of this run in the results file")
    args = parser.parse_args()

    redis = None
    with postgres_url("fenxiao_bench_tasks") as url:
        recreate_database(url)
        env = bench_env(url)
        env["TASK_BACKEND"] = args.backend
        if args.backend == "rq":
            redis = _redis()
            env["REDIS_URL"] = redis[1]
        os.environ.update(env)
        try:
            print(f"preparing {url.rsplit('@', 1)[-1]} …", flush=True)
            subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
            import django

            django.setup()
            from django.db import transaction

            import bench.tasks_probe  # noqa: F401 — registers bench.noop here too
            from fenxiao.core.jobs import enqueue_many

            table, has_started = _table()
            results: dict = {"backend": args.backend, "table": table, "workers": args.workers}

            # 1. Throughput.
            with transaction.atomic():
                enqueue_many("bench.noop", [({"n": i}, "") for i in range(args.tasks)])
            began = time.monotonic()
            workers = [
                subprocess.Popen([sys.executable, "-c", WORKER], cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
                for _ in range(args.workers)
            ]
            try:
                _wait_done(table, "name = 'bench.noop'", args.tasks, "no-op tasks")
                elapsed = time.monotonic() - began
                results["tasks"] = args.tasks
                results["tasks_per_second"] = round(args.tasks / elapsed, 1)
                print(
                    f"{args.tasks} tasks in {elapsed:.1f} s: {args.tasks / elapsed:.1f} tasks/s", flush=True
                )

                # 2. Relay lag under checkout load.
                out = subprocess.run(
                    [
                        sys.executable,
                        "manage.py",
                        "shell",
                        "-c",
                        SETUP.replace("sys.argv[1]", str(args.buyers)),
                    ],
                    cwd=ROOT,
                    env=env,
                    check=True,
                    capture_output=True,
                    text=True,
                )
                data = json.loads(out.stdout.strip().splitlines()[-1])
                csrf = secrets.token_hex(16)
                before = _count(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
                with Server(url, workers=3, collect_static=False) as server:
                    import requests

                    def make_client(index: int):
                        session = requests.Session()
                        buyer = data["buyers"][index % len(data["buyers"])]
                        session.cookies.set("sessionid", buyer["session"])
                        session.cookies.set("csrftoken", csrf)
                        session.headers["X-CSRFToken"] = csrf
                        session.base, session.address = server.base_url, buyer["address"]
                        return session

                    def checkout(session, n: int) -> bool:
                        sku = data["skus"][n % len(data["skus"])]
                        session.post(session.base + "/trade/cart/add/", data={"sku_id": sku, "quantity": 1})
                        placed = session.post(
                            session.base + "/trade/checkout/",
                            data={"address_id": session.address},
                            allow_redirects=False,
                        )
                        return placed.status_code == 302

                    load = run_load(
                        "checkout (2 requests)",
                        make_client,
                        checkout,
                        concurrency=args.buyers,
                        requests_per_worker=args.checkouts,
                    )
                total = _count(
                    f"SELECT COUNT(*) FROM {table} WHERE id > %s AND name = 'core.deliver_event'", [before]
                )
                _wait_done(
                    table, f"id > {int(before)} AND name = 'core.deliver_event'", total, "event deliveries"
                )
                from django.db import connection

                with connection.cursor() as cursor:
                    started = ", started_at" if has_started else ""
                    cursor.execute(
                        f"SELECT created_at, finished_at{started} FROM {table}"
                        " WHERE id > %s AND name = 'core.deliver_event'",
                        [before],
                    )
                    rows = cursor.fetchall()
                results["checkouts_per_second"] = round(load.per_second, 1)
                results["deliveries"] = len(rows)
                results["commit_to_done"] = _percentiles([(r[1] - r[0]).total_seconds() for r in rows])
                if has_started:
                    results["commit_to_start"] = _percentiles(
                        [(r[2] - r[0]).total_seconds() for r in rows if r[2]]
                    )
            finally:
                for worker in workers:
                    worker.send_signal(signal.SIGTERM)
                for worker in workers:
                    try:
                        worker.wait(timeout=30)
                    except subprocess.TimeoutExpired:
                        worker.kill()
        finally:
            if redis:
                redis[0].terminate()
                redis[0].wait(timeout=10)
                shutil.rmtree(redis[2], ignore_errors=True)
    results.update(machine_meta())
    print(json.dumps(results, indent=2))
    out_dir = ROOT / "bench" / "results"
    out_dir.mkdir(exist_ok=True)
    name = f"tasks-{args.label or args.backend}.json"
    (out_dir / name).write_text(json.dumps(results, indent=2))
    print(f"written to bench/results/{name}")


if __name__ == "__main__":
    main()
