"""CRM member list and segment queries over many members, on SQLite and PostgreSQL.

    uv run python bench/crm.py [--members 1000000] [--only sqlite|postgres]

For each database: a fresh schema (migrate), then members bulk-generated with progress
(users, two brands — 90% of members in the measured brand —, 4 levels, 50 source distributors,
5 tags on about 30% of members, spend and last order spread over two years), RFM computed, the
planner's statistics gathered (ANALYZE), then each query of the console's member list and of
``members_in_segment`` timed: one warm-up, then the median and the worst of 7 runs.

PostgreSQL: ``DATABASE_URL=postgres://…`` (the database ``fenxiao_bench_crm`` on that server is
recreated), or a throwaway local server.  SQLite: a file in a temporary folder.  Results are
printed and written to bench/results/crm.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BATCH = 10_000


def _series(vendor: str, lo: int, hi: int) -> str:
    """A FROM clause yielding integers ``i`` in [lo, hi] on either database."""
    if vendor == "postgresql":
        return f"generate_series({lo}, {hi}) AS s(i)"
    return f"(WITH RECURSIVE s(i) AS (SELECT {lo} UNION ALL SELECT i + 1 FROM s WHERE i < {hi}) SELECT i FROM s) AS s"


def _sql(vendor: str) -> dict[str, str]:
    """Per-database spellings: zero-padded phone, "now minus k days" and a text concatenation."""
    if vendor == "postgresql":
        return {
            "phone": "'17' || lpad(i::text, 9, '0')",
            "name": "'会员' || i::text",
            "days_ago": "(now() - ((({k}) % 731) || ' days')::interval)",
            "seconds_ago": "(now() - (({k}) || ' seconds')::interval)",
            "true": "true",
            "false": "false",
        }
    return {
        "phone": "printf('17%09d', i)",
        "name": "'会员' || i",
        "days_ago": "strftime('%Y-%m-%d %H:%M:%f', 'now', '-' || (({k}) % 731) || ' days')",
        "seconds_ago": "strftime('%Y-%m-%d %H:%M:%f', 'now', '-' || ({k}) || ' seconds')",
        "true": "1",
        "false": "0",
    }


def _generate(members: int) -> dict:
    """Users, members and tags written by set-based INSERT … SELECT in chunks (generate_series on
    PostgreSQL, a recursive CTE on SQLite): deterministic pseudo-random columns from the row
    number, so both databases get the same shape."""
    from django.db import connection, transaction

    from fenxiao.accounts.models import Brand, BrandStatus, User
    from fenxiao.crm.models import MemberLevel, Tag

    vendor = connection.vendor
    sql = _sql(vendor)
    brand = Brand.objects.create(name="压测品牌", slug="bench-crm", status=BrandStatus.APPROVED)
    other = Brand.objects.create(name="另一品牌", slug="bench-crm-other", status=BrandStatus.APPROVED)
    levels = [
        MemberLevel.objects.create(brand=brand, name=f"L{i}", growth_threshold=i * 1000, discount_bps=i * 100)
        for i in range(4)
    ]
    tags = [Tag.objects.create(brand=brand, name=f"标签{i}") for i in range(5)]
    User.objects.bulk_create(
        [User(phone=f"166{i:08d}", password="!", display_name=f"分销商{i}") for i in range(50)]
    )
    distributors = list(
        User.objects.filter(phone__startswith="166").order_by("pk").values_list("pk", flat=True)
    )
    d_first = distributors[0]
    paid = (
        "(CASE WHEN (u.id * 7919) % 10 < 7"
        " THEN (1 + (u.id * 37) % 12) * (2000 + (u.id * 104729) % 58000) ELSE 0 END)"
    )
    level_case = (
        "CASE "
        + " ".join(
            f"WHEN u.id % 10 <> 0 AND {paid} / 100 >= {lv.growth_threshold} THEN {lv.pk}"
            for lv in reversed(levels)
        )
        + " ELSE NULL END"
    )
    started = time.perf_counter()
    done = 0
    chunk = 100_000
    while done < members:
        lo, hi = done + 1, min(members, done + chunk)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO accounts_user (password, last_login, is_superuser, phone, email, display_name,"
                " is_active, is_staff, date_joined)"
                f" SELECT '!', NULL, {sql['false']}, {sql['phone']}, NULL, {sql['name']}, {sql['true']},"
                f" {sql['false']}, {sql['seconds_ago'].format(k='0')} FROM {_series(vendor, lo, hi)}"
            )
            # i*7919 % 1000 etc.: cheap, deterministic spreads; ~70% have ordered, 60% have a distributor
            cursor.execute(
                "INSERT INTO crm_member (brand_id, consumer_id, display_name, source_channel,"
                " source_distributor_id, source_campaign, first_order_at, last_order_at, order_count, total_paid,"
                " growth, level_id, points_balance, points_expired_through, notes, rfm_r, rfm_f, rfm_m, created_at)"
                f" SELECT CASE WHEN u.id % 10 = 0 THEN {other.pk} ELSE {brand.pk} END, u.id, u.display_name,"
                " CASE u.id % 3 WHEN 0 THEN 'link' WHEN 1 THEN 'order' ELSE 'wechat' END,"
                f" CASE WHEN (u.id * 31) % 10 < 6 THEN {d_first} + (u.id * 17) % 50 ELSE NULL END, '',"
                f" CASE WHEN (u.id * 7919) % 10 < 7 THEN {sql['days_ago'].format(k='400 + (u.id * 13) % 331')} END,"
                f" CASE WHEN (u.id * 7919) % 10 < 7 THEN {sql['days_ago'].format(k='(u.id * 7907) % 731')} END,"
                " CASE WHEN (u.id * 7919) % 10 < 7 THEN 1 + (u.id * 37) % 12 ELSE 0 END,"
                f" {paid}, {paid} / 100, {level_case}, (u.id * 53) % 5000, 0, '', 0, 0, 0,"
                f" {sql['seconds_ago'].format(k=f'{members} - u.id % {members}')}"
                f" FROM accounts_user u WHERE u.phone >= '17{lo:09d}' AND u.phone <= '17{hi:09d}'"
                " ORDER BY u.id"
            )
            for offset, share in ((0, 3), (1, 1)):  # ~30% get one tag, ~10% a second one
                cursor.execute(
                    "INSERT INTO crm_membertag (member_id, tag_id)"
                    f" SELECT m.id, CASE (m.id + {offset}) % 5 "
                    + " ".join(f"WHEN {n} THEN {t.pk}" for n, t in enumerate(tags))
                    + f" END FROM crm_member m JOIN accounts_user u ON u.id = m.consumer_id"
                    f" WHERE m.brand_id = {brand.pk} AND (m.id * 11) % 10 < {share}"
                    f" AND u.phone >= '17{lo:09d}' AND u.phone <= '17{hi:09d}'"
                )
        done = hi
        rate = done / (time.perf_counter() - started)
        print(f"  {done:>9,} members ({rate:,.0f}/s)", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {
        "brand": brand.pk,
        "levels": [lv.pk for lv in levels],
        "tags": [t.pk for t in tags],
        "distributor": distributors[7],
        "generate_s": round(time.perf_counter() - started, 1),
    }


def _time(fn, runs: int = 7) -> tuple[float, float, object]:
    result = fn()
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return round(statistics.median(samples), 2), round(max(samples), 2), result


def run_inside(members: int) -> dict:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from fenxiao.crm import selectors
    from fenxiao.crm.models import Member, Segment
    from fenxiao.crm.segments import compute_rfm, members_in_segment

    call_command("migrate", verbosity=0)
    print(f"generating {members:,} members on {connection.vendor} …", flush=True)
    data = _generate(members)
    brand = data["brand"]
    t0 = time.perf_counter()
    compute_rfm(brand)
    rfm_s = round(time.perf_counter() - t0, 1)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    middle = Member.objects.filter(brand_id=brand).order_by("-pk").values_list("pk", flat=True)[members // 3]
    phone = Member.objects.filter(brand_id=brand).values_list("consumer__phone", flat=True)[members // 5]
    seg_level = Segment.objects.create(
        brand_id=brand, name="高价值", filters={"level_ids": data["levels"][2:], "min_paid": 200_000}
    )
    seg_tag = Segment.objects.create(brand_id=brand, name="标签", filters={"tag_ids": [data["tags"][1]]})
    seg_lapsed = Segment.objects.create(
        brand_id=brand, name="沉睡", filters={"not_ordered_days": 180, "min_paid": 100_000}
    )

    def page(filters=None, **kwargs):
        return lambda: len(selectors.member_page(brand, filters or {}, **kwargs)[0])

    queries = [
        ("list: newest page", page()),
        ("list: page deep (cursor)", page(after=str(middle))),
        ("list: level filter", page({"level_ids": [data["levels"][3]]})),
        ("list: tag filter", page({"tag_ids": [data["tags"][2]]})),
        ("list: spent ≥ ¥2000, 90 days idle", page({"min_paid": 200_000, "not_ordered_days": 90})),
        ("list: source distributor", page({"distributor_id": data["distributor"]})),
        ("list: search by phone", page({"q": phone})),
        ("list: RFM R=5", page({"min_rfm_r": 5})),
        ("segment page: level + spend", page(segment=seg_level)),
        ("segment count: level + spend", lambda: members_in_segment(seg_level).count()),
        ("segment count: tag", lambda: members_in_segment(seg_tag).count()),
        ("segment count: lapsed spenders", lambda: members_in_segment(seg_lapsed).count()),
    ]
    results = []
    for name, fn in queries:
        median, worst, value = _time(fn)
        results.append({"query": name, "median_ms": median, "max_ms": worst, "rows": value})
        print(f"  {name:<36}{median:>10.2f} ms{worst:>10.2f} ms  ({value} rows)", flush=True)
    return {
        "database": connection.vendor,
        "members": members,
        "generate_s": data["generate_s"],
        "rfm_s": rfm_s,
        "queries": results,
    }


def _child(url: str, members: int) -> dict:
    from bench.harness import bench_env

    env = bench_env(url)
    proc = subprocess.Popen(
        [sys.executable, __file__, "--inside", "--members", str(members)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    last = ""
    assert proc.stdout is not None
    for line in proc.stdout:
        if last:
            print(last, flush=True)
        last = line.rstrip("\n")
    if proc.wait() != 0:
        raise SystemExit(f"the benchmark failed on {url.split(':')[0]}")
    return json.loads(last)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inside:
        result = run_inside(args.members)
        print(json.dumps(result, ensure_ascii=False))
        return

    from bench.harness import machine_meta, write_json
    from bench.pg import postgres_url, recreate_database

    runs = []
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory(prefix="fenxiao-bench-crm-") as folder:
            runs.append(_child(f"sqlite:///{folder}/crm.sqlite3", args.members))
    if args.only in (None, "postgres"):
        with postgres_url("fenxiao_bench_crm") as url:
            recreate_database(url)
            runs.append(_child(url, args.members))
    path = ROOT / "bench" / "results"
    path.mkdir(parents=True, exist_ok=True)
    (path / "crm.json").write_text(
        json.dumps(
            {"meta": {**machine_meta(), "members": args.members}, "runs": runs}, indent=2, ensure_ascii=False
        )
    )
    print(f"results written to {(path / 'crm.json').relative_to(ROOT)}")
    _ = write_json  # the HTTP benchmarks' writer; this one writes its own shape
    os.environ.pop("DATABASE_URL", None)


if __name__ == "__main__":
    main()
