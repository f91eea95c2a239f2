"""A job for the scale-out test's "worker killed mid-task" (imported by its workers, not collected
as tests): the first run holds (sleeps) while a marker file exists, so the test can kill the worker
running it; every run publishes one ``tests.probe`` event in the job's transaction, so the test
counts how many runs committed."""

from __future__ import annotations

import os
import time

from fenxiao.core.events import publish
from fenxiao.core.jobs import job

PROBE_JOB = "tests.scale_out_probe"


@job(PROBE_JOB, max_attempts=5, queue="payments")
def hold_then_publish(payload: dict) -> None:
    marker = payload["hold_file"]
    if os.path.exists(marker):
        os.remove(marker)  # outside the transaction: the next run does not hold
        time.sleep(600)  # killed here
    publish("tests.probe", {"label": payload["label"]}, aggregate=payload["label"])
