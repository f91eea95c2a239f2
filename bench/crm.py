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
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BATCH = 10_000


def _generate(members: int) -> dict:
    from django.db import connection, transaction

    from fenxiao.accounts.models import Brand, BrandStatus, User
    from fenxiao.core import clock
    from fenxiao.crm.models import Channel, Member, MemberLevel, MemberTag, Tag

    rng = random.Random(2026)
    brand = Brand.objects.create(name="压测品牌", slug="bench-crm", status=BrandStatus.APPROVED)
    other = Brand.objects.create(name="另一品牌", slug="bench-crm-other", status=BrandStatus.APPROVED)
    levels = [
        MemberLevel.objects.create(brand=brand, name=f"L{i}", growth_threshold=i * 1000, discount_bps=i * 100)
        for i in range(4)
    ]
    tags = [Tag.objects.create(brand=brand, name=f"标签{i}") for i in range(5)]
    distributors = [User(phone=f"166{i:08d}", password="!", display_name=f"分销商{i}") for i in range(50)]
    User.objects.bulk_create(distributors)
    distributors = list(User.objects.filter(phone__startswith="166").values_list("pk", flat=True))
    now = clock.now()
    started = time.perf_counter()
    done = 0
    while done < members:
        size = min(BATCH, members - done)
        with transaction.atomic():
            users = User.objects.bulk_create(
                [
                    User(phone=f"17{done + i:09d}", password="!", display_name=f"会员{done + i}")
                    for i in range(size)
                ]
            )
            if users[0].pk is None:  # backends that do not return ids
                users = list(User.objects.filter(phone__gte=f"17{done:09d}").order_by("phone")[:size])
            rows = []
            for i, user in enumerate(users):
                ordered = rng.random() < 0.7
                count = rng.randint(1, 12) if ordered else 0
                paid = count * rng.randint(2000, 60000)
                growth = paid // 100
                level = max(
                    (lv for lv in levels if lv.growth_threshold <= growth), key=lambda lv: lv.growth_threshold
                )
                rows.append(
                    Member(
                        brand=brand if (done + i) % 10 else other,
                        consumer=user,
                        display_name=user.display_name,
                        source_channel=rng.choice([Channel.LINK, Channel.ORDER, Channel.WECHAT]),
                        source_distributor_id=rng.choice(distributors) if rng.random() < 0.6 else None,
                        first_order_at=now - timedelta(days=rng.randint(400, 730)) if ordered else None,
                        last_order_at=now - timedelta(days=rng.randint(0, 730)) if ordered else None,
                        order_count=count,
                        total_paid=paid,
                        growth=growth,
                        level=level if (done + i) % 10 else None,
                        points_balance=rng.randint(0, 5000),
                        created_at=now - timedelta(seconds=members - done - i),
                    )
                )
            created = Member.objects.bulk_create(rows)
            if created[0].pk is None:
                created = list(Member.objects.order_by("-pk")[:size])
            links = []
            for member in created:
                if member.brand_id == brand.pk and rng.random() < 0.3:
                    for tag in rng.sample(tags, rng.randint(1, 2)):
                        links.append(MemberTag(member_id=member.pk, tag=tag))
            MemberTag.objects.bulk_create(links)
        done += size
        if done % 100_000 == 0 or done == members:
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
    out = subprocess.run(
        [sys.executable, __file__, "--inside", "--members", str(members)],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    lines = out.stdout.strip().splitlines()
    for line in lines[:-1]:
        print(line)
    return json.loads(lines[-1])


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
