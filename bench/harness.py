"""Shared pieces of the HTTP benchmarks: a multi-process gunicorn server on 127.0.0.1, a
multi-process load generator with keep-alive sessions, and a result table + JSON file.

Every HTTP benchmark measures the same server's trivial authenticated endpoint (``/ping``) in
the same run and reports its own throughput as a ratio to it, so figures from different
machines compare.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bench_env(database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": database_url,
            "DEBUG": "0",
            "SECRET_KEY": env.get("SECRET_KEY", "bench-only-secret-key-not-for-production-use-0123456789"),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_COOKIES": "0",
            "CONN_MAX_AGE": "60",
            "LOG_LEVEL": "WARNING",
            "REQUEST_LOG_LEVEL": "WARNING",  # no line per request on the benchmark's terminal
            "DJANGO_SETTINGS_MODULE": "fenxiao.settings",
        }
    )
    return env


class Server:
    """gunicorn with ``workers`` processes serving fenxiao on a free loopback port."""

    def __init__(
        self, database_url: str, workers: int = 4, threads: int = 1, collect_static: bool = True
    ) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.env = bench_env(database_url)
        self.workers = workers
        self.threads = threads
        self.process: subprocess.Popen | None = None
        self.collect_static = collect_static
        if not collect_static:
            self.env["STATIC_MANIFEST"] = "0"  # plain static URLs: nothing to collect first

    def __enter__(self) -> Server:
        if self.collect_static:
            subprocess.run(
                [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
                cwd=ROOT,
                env=self.env,
                check=True,
            )
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "fenxiao.wsgi:application",
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
            cwd=ROOT,
            env=self.env,
        )
        self._wait_ready()
        return self

    def _wait_ready(self, timeout: float = 60) -> None:
        import requests

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if requests.get(self.base_url + "/readyz", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError("the benchmark server did not become ready")

    def __exit__(self, *exc) -> None:
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=20)


@dataclass
class Result:
    name: str
    requests: int
    errors: int
    seconds: float
    per_second: float
    p50_ms: float
    p99_ms: float
    ratio_to_trivial: float | None = None
    extra: dict = field(default_factory=dict)


def _worker(
    make_client: Callable[[int], object],
    do_request: Callable[[object, int], bool],
    worker_index: int,
    count: int,
    start_at: float,
    queue: mp.Queue,
) -> None:
    client = make_client(worker_index)
    latencies: list[float] = []
    errors = 0
    while time.time() < start_at:
        time.sleep(0.001)
    for i in range(count):
        t0 = time.perf_counter()
        ok = do_request(client, worker_index * count + i)
        latencies.append(time.perf_counter() - t0)
        errors += 0 if ok else 1
    queue.put((latencies, errors))


def collect_load(
    make_client: Callable[[int], object],
    do_request: Callable[[object, int], bool],
    *,
    concurrency: int,
    requests_per_worker: int,
) -> tuple[list[float], int, float]:
    """Run ``concurrency`` processes, each making ``requests_per_worker`` sequential requests
    with its own client (``make_client(worker_index)``); return every latency (seconds), the
    number of failed requests and the elapsed wall-clock time."""
    ctx = mp.get_context("fork")
    queue: mp.Queue = ctx.Queue()
    start_at = time.time() + 1.0 + concurrency * 0.05
    procs = [
        ctx.Process(target=_worker, args=(make_client, do_request, i, requests_per_worker, start_at, queue))
        for i in range(concurrency)
    ]
    for proc in procs:
        proc.start()
    outcomes = [queue.get(timeout=600) for _ in procs]
    elapsed = time.time() - start_at
    for proc in procs:
        proc.join()
    return [lat for lats, _ in outcomes for lat in lats], sum(err for _, err in outcomes), elapsed


def summarize(name: str, latencies: list[float], errors: int, elapsed: float) -> Result:
    latencies = sorted(latencies)
    total = len(latencies)
    return Result(
        name=name,
        requests=total,
        errors=errors,
        seconds=round(elapsed, 3),
        per_second=round(total / elapsed, 1),
        p50_ms=round(statistics.median(latencies) * 1000, 2),
        p99_ms=round(latencies[min(total - 1, int(total * 0.99))] * 1000, 2),
    )


def run_load(
    name: str,
    make_client: Callable[[int], object],
    do_request: Callable[[object, int], bool],
    *,
    concurrency: int,
    requests_per_worker: int,
) -> Result:
    """Run ``concurrency`` processes, each making ``requests_per_worker`` sequential requests
    with its own client (``make_client(worker_index)``, e.g. a signed-in requests.Session)."""
    latencies, errors, elapsed = collect_load(
        make_client, do_request, concurrency=concurrency, requests_per_worker=requests_per_worker
    )
    return summarize(name, latencies, errors, elapsed)


def print_table(results: list[Result]) -> None:
    header = (
        f"{'benchmark':<28}{'requests':>9}{'errors':>8}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'ratio':>8}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        ratio = "" if r.ratio_to_trivial is None else f"{r.ratio_to_trivial:.2f}"
        print(
            f"{r.name:<28}{r.requests:>9}{r.errors:>8}{r.per_second:>10}{r.p50_ms:>9}{r.p99_ms:>9}{ratio:>8}"
        )


def write_json(bench_name: str, results: list[Result], meta: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{bench_name}.json"
    path.write_text(json.dumps({"meta": meta, "results": [asdict(r) for r in results]}, indent=2))
    print(f"results written to {path.relative_to(ROOT)}")
    return path


def machine_meta() -> dict:
    return {
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "at": time.strftime("%Y-%m-%d %H:%M:%S %z"),
    }
