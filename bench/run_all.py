"""Every benchmark, one after the other, then one summary table (``make bench``).

    uv run python bench/run_all.py [--quick] [--only pages,checkout,...,peers]

Each benchmark runs as its own process (it prints its own table and writes
bench/results/<name>.json); this script then reads those files and prints the HTTP ratios
against issue 11's targets, fenxiao against django-oscar (bench/peers.py) and the other
benchmarks' headline figures, and writes
bench/results/summary.json.  PostgreSQL is DATABASE_URL when it is a ``postgres://`` URL, else a
throwaway local server per benchmark (bench/pg.py).

``--quick`` runs every benchmark at a small size (minutes, not hours): a smoke test of the
benchmarks themselves, not figures to publish.  The full run uses each script's defaults
(1,000,000 orders for the data cube and settlement, 1,000,000 members for the CRM) and takes
a few hours on a two-core machine.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import RESULTS, machine_meta  # noqa: E402

# name -> (script, full-size arguments, quick arguments)
BENCHMARKS: dict[str, tuple[str, list[str], list[str]]] = {
    "pages": ("pages.py", [], ["--clients", "4", "--requests", "40"]),
    "checkout": ("checkout.py", [], ["--buyers", "4", "--checkouts", "5", "--pings", "40"]),
    "flash_sale": (
        "flash_sale.py",
        [],
        ["--buyers", "4", "--attempts", "25", "--quantity", "20", "--pings", "40"],
    ),
    "settlement": (
        "settlement.py",
        [],
        ["--orders", "2000", "10000", "--per-order", "1000"],
    ),
    "datacube": ("datacube.py", [], ["--orders", "20000", "--distributors", "500", "--repeat", "2"]),
    "crm": ("crm.py", [], ["--members", "20000"]),
    # background tasks: tasks/s and the outbox relay's lag under checkout (database backend)
    "tasks": ("tasks.py", [], ["--tasks", "300", "--buyers", "2", "--checkouts", "5"]),
    # fenxiao against django-oscar 4.2 (installs Oscar into bench/.peers-venv on first use)
    "peers": ("peers.py", [], ["--clients", "2", "--requests", "20", "--checkouts", "5"]),
}
# issue 11: minimum throughput as a ratio to the same server's trivial endpoint (PostgreSQL)
TARGETS = {"product page": 0.5, "share-link redirect": 0.8, "flash-sale buy attempt": 0.5, "checkout": 0.3}


def run(name: str, quick: bool) -> tuple[bool, float]:
    script, full, small = BENCHMARKS[name]
    command = [sys.executable, str(ROOT / "bench" / script), *(small if quick else full)]
    print(f"\n=== {name}: {' '.join(command[1:])}", flush=True)
    started = time.perf_counter()
    code = subprocess.run(command, cwd=ROOT).returncode
    return code == 0, time.perf_counter() - started


def _ratios() -> list[dict]:
    rows = []
    for name in ("pages", "checkout", "flash_sale"):
        path = RESULTS / f"{name}.json"
        if not path.exists():
            continue
        for result in json.loads(path.read_text())["results"]:
            ratio = result.get("ratio_to_trivial")
            if ratio is None or result["name"].startswith("trivial"):
                continue
            target = next((t for label, t in TARGETS.items() if result["name"].startswith(label)), None)
            rows.append(
                {
                    "benchmark": result["name"],
                    "per_second": result["per_second"],
                    "p50_ms": result["p50_ms"],
                    "p99_ms": result["p99_ms"],
                    "ratio": ratio,
                    "target": target,
                    "met": None if target is None else ratio >= target,
                }
            )
    return rows


def _peers() -> list[dict]:
    """bench/peers.py's side-by-side rows (fenxiao against django-oscar), if it ran."""
    path = RESULTS / "peers.json"
    if not path.exists():
        return []
    return [
        {
            key: row[key]
            for key in (
                "path",
                "fenxiao_per_second",
                "oscar_per_second",
                "fenxiao_over_oscar",
                "fenxiao_statements",
                "oscar_statements",
            )
        }
        for row in json.loads(path.read_text()).get("table", [])
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes: check the benchmarks run")
    parser.add_argument("--only", default=",".join(BENCHMARKS), help="comma-separated subset")
    args = parser.parse_args()
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in BENCHMARKS]
    if unknown:
        raise SystemExit(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    outcomes = {}
    for index, name in enumerate(chosen, 1):
        print(f"[{index}/{len(chosen)}] {name}", flush=True)
        outcomes[name] = run(name, args.quick)
    ratios = _ratios()
    print("\n=== summary")
    print(f"{'benchmark':<30}{'per s':>10}{'p50 ms':>9}{'p99 ms':>9}{'ratio':>8}{'target':>8}  met")
    for row in ratios:
        target = "" if row["target"] is None else f"≥{row['target']:.1f}"
        met = "" if row["met"] is None else ("yes" if row["met"] else "NO")
        print(
            f"{row['benchmark']:<30}{row['per_second']:>10}{row['p50_ms']:>9}{row['p99_ms']:>9}"
            f"{row['ratio']:>8.2f}{target:>8}  {met}"
        )
    peers = _peers() if "peers" in outcomes else []
    if peers:
        print(f"\n{'against django-oscar':<30}{'fenxiao/s':>10}{'Oscar/s':>9}{'f/O':>7}{'SQL f/O':>10}")
        for row in peers:
            sql = f"{row['fenxiao_statements']}/{row['oscar_statements']}"
            print(
                f"{row['path']:<30}{row['fenxiao_per_second']:>10}{row['oscar_per_second']:>9}"
                f"{row['fenxiao_over_oscar']:>7.2f}{sql:>10}"
            )
    for name, (ok, seconds) in outcomes.items():
        print(f"{name:<30}{'ok' if ok else 'FAILED':>10}{seconds:>9.0f} s")
    RESULTS.mkdir(parents=True, exist_ok=True)
    summary = {
        "meta": {**machine_meta(), "quick": args.quick},
        "ratios": ratios,
        "peers": peers,
        "runs": {name: {"ok": ok, "seconds": round(seconds, 1)} for name, (ok, seconds) in outcomes.items()},
    }
    (RESULTS / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False))
    print("summary written to bench/results/summary.json")
    if not all(ok for ok, _ in outcomes.values()):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
