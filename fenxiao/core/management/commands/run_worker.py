import signal
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from fenxiao.core.relay import queue_stats, relay_once, run_backend_tasks, worker_id


class Command(BaseCommand):
    help = (
        "Run background work until stopped (SIGTERM/SIGINT stop gracefully): the outbox relay and "
        "timers, and the task backend's worker (TASK_BACKEND=database: the task table; rq: RQ on Redis)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--once", action="store_true", help="run what is due now, then exit")
        parser.add_argument(
            "--relay-only",
            action="store_true",
            help="only hand due entries and timers to the backend (tasks run by db_worker/rqworker processes)",
        )
        parser.add_argument(
            "--idle-sleep", type=float, default=0.5, help="seconds to wait when nothing is due"
        )
        parser.add_argument(
            "--report-every", type=float, default=60.0, help="seconds between queue-depth lines"
        )

    def handle(
        self,
        *args,
        once: bool = False,
        relay_only: bool = False,
        idle_sleep: float = 0.5,
        report_every: float = 60.0,
        **options,
    ) -> None:
        owner = worker_id()
        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        def listen() -> None:
            signal.signal(signal.SIGTERM, stop)
            signal.signal(signal.SIGINT, stop)

        listen()
        self.stdout.write(f"worker {owner} started")
        last_report = 0.0
        while not stopping:
            close_old_connections()
            sent = relay_once(owner)
            ran = 0 if relay_only else run_backend_tasks(owner, limit=200)
            listen()  # an RQ burst installs its own handlers
            if sent or ran:
                self.stdout.write(f"handed over {sent}, ran {ran}")
                continue
            if once:
                break
            if time.monotonic() - last_report > report_every:
                depth = {queue: int(stat["depth"]) for queue, stat in queue_stats().items()}
                self.stdout.write(f"queue depth {depth}")
                last_report = time.monotonic()
            time.sleep(idle_sleep)
        self.stdout.write(f"worker {owner} stopped")
