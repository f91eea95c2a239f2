"""Replay each benchmark path once through Django's test client and count its SQL statements
with ``CaptureQueriesContext``; run with the python of the project being counted (fenxiao's or
the Oscar environment's), its settings in ``DJANGO_SETTINGS_MODULE``.

Reads from standard input ``{"session": <session key>, "paths": {name: [step, …]}}`` where a
step is ``{"method", "url", "data", "status"}`` (bench/peers.py); each path runs twice (the first warms the
process's caches, as a long-running server's are) and the second is counted.  Prints
``{name: {"statements": n, "per_step": [...], "first_in_process": n}}`` as one JSON line (with ``"sql": true`` in the
input, each step's statements too: ``bench/peers.py --sql``).
"""

import json
import os
import sys

sys.path.insert(0, os.getcwd())

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402


def replay(client: Client, steps: list, sql: list | None = None) -> list[int]:
    counts = []
    for step in steps:
        with CaptureQueriesContext(connection) as captured:
            answer = getattr(client, step["method"].lower())(step["url"], step["data"] or {})
        if answer.status_code != step["status"]:
            raise SystemExit(
                f"{step['method']} {step['url']}: {answer.status_code}, expected {step['status']}"
            )
        counts.append(len(captured.captured_queries))
        if sql is not None:
            sql.append([f"{step['method']} {step['url']}", [q["sql"] for q in captured.captured_queries]])
    return counts


def main() -> None:
    spec = json.load(sys.stdin)
    setup_test_environment()
    client = Client(HTTP_HOST="127.0.0.1")
    client.cookies[settings.SESSION_COOKIE_NAME] = spec["session"]
    result = {}
    for name, steps in spec["paths"].items():
        first = replay(client, steps)
        sql: list | None = [] if spec.get("sql") else None
        per_step = replay(client, steps, sql)
        result[name] = {"statements": sum(per_step), "per_step": per_step, "first_in_process": sum(first)}
        if sql is not None:
            result[name]["sql"] = sql
    print(json.dumps(result))


if __name__ == "__main__":
    main()
