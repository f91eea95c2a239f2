import signal
import threading
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections, connection

from fenxiao.core.relay import backend_name, queue_stats, relay_once, rq_worker, run_backend_tasks, worker_id


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
        stopping = threading.Event()
        self.stdout.write(f"worker {owner} started ({backend_name()} backend)")
        if backend_name() == "RQBackend" and not (once or relay_only):
            # RQ's own worker loop in this thread, the relay beside it.  A stop finishes the task
            # running, or ends the wait for one at once (RQ's own handlers raise on every signal,
            # even inside the worker's clean-up).
            from rq.exceptions import StopRequested
            from rq.worker import WorkerStatus

            worker = rq_worker(signals=False)

            def stop(signum, frame) -> None:
                first = not stopping.is_set()
                stopping.set()
                worker._stop_requested = True
                if first and worker.get_state() != WorkerStatus.BUSY:
                    raise StopRequested()

            signal.signal(signal.SIGTERM, stop)
            signal.signal(signal.SIGINT, stop)
            relay = threading.Thread(
                target=self.relay_loop, args=(owner, stopping, idle_sleep, report_every, True), daemon=True
            )
            relay.start()
            try:
                worker.work(with_scheduler=False, logging_level="WARNING")
            finally:
                stopping.set()
                relay.join(timeout=30)
        else:
            signal.signal(signal.SIGTERM, lambda signum, frame: stopping.set())
            signal.signal(signal.SIGINT, lambda signum, frame: stopping.set())
            self.relay_loop(owner, stopping, idle_sleep, report_every, relay_only, once=once)
        self.stdout.write(f"worker {owner} stopped")

    def relay_loop(
        self,
        owner: str,
        stopping: threading.Event,
        idle_sleep: float,
        report_every: float,
        relay_only: bool,
        *,
        once: bool = False,
    ) -> None:
        """Hand due entries and timers to the backend; run the backend's tasks here too unless
        ``relay_only``."""
        last_report = last_timers = 0.0
        try:
            while not stopping.is_set():
                close_old_connections()
                timers = time.monotonic() - last_timers >= 1.0  # periods are seconds long at least
                if timers:
                    last_timers = time.monotonic()
                sent = relay_once(owner, timers=timers)
                ran = 0 if relay_only else run_backend_tasks(owner, limit=200)
                if sent or ran:
                    self.stdout.write(f"handed over {sent}, ran {ran}")
                    continue
                if once:
                    break
                if time.monotonic() - last_report > report_every:
                    depth = {queue: int(stat["depth"]) for queue, stat in queue_stats().items()}
                    self.stdout.write(f"queue depth {depth}")
                    last_report = time.monotonic()
                stopping.wait(idle_sleep)
        finally:
            connection.close()
