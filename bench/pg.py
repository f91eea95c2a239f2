"""A throwaway PostgreSQL for benchmarks when DATABASE_URL is not given (Debian's server
binaries; run as the postgres user when we are root)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path

PGBIN = Path(os.environ.get("PGBIN", "/usr/lib/postgresql/15/bin"))


def _as_postgres(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@contextmanager
def postgres_url(name: str = "fenxiao_bench"):
    """Yield a DATABASE_URL: the given one (its database recreated), or a fresh local server."""
    given = os.environ.get("DATABASE_URL", "")
    if given.startswith("postgres"):
        yield given.rsplit("/", 1)[0] + "/" + name
        return
    if not (PGBIN / "initdb").exists():
        raise SystemExit(
            "Set DATABASE_URL=postgres://… or install postgresql-15 (apt-get install postgresql-15)."
        )
    root = Path(tempfile.mkdtemp(prefix="fenxiao-bench-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    port = 56000 + os.getpid() % 1000
    subprocess.run(
        _as_postgres(
            [str(PGBIN / "initdb"), "-D", str(root / "data"), "-A", "trust", "-U", "postgres", "-E", "UTF8"]
        ),
        check=True,
        capture_output=True,
    )
    opts = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c max_connections=300 -c shared_buffers=512MB -c synchronous_commit=off"
    subprocess.run(
        _as_postgres(
            [
                str(PGBIN / "pg_ctl"),
                "-D",
                str(root / "data"),
                "-l",
                str(root / "log"),
                "-w",
                "-o",
                opts,
                "start",
            ]
        ),
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgres://postgres@127.0.0.1:{port}/{name}"
    finally:
        subprocess.run(
            _as_postgres([str(PGBIN / "pg_ctl"), "-D", str(root / "data"), "-m", "fast", "stop"]),
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)


def recreate_database(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
