import signal
import time

from django.core.management.base import BaseCommand

from fenxiao.core.worker import claim_job, queue_depth, run_due_timers, run_job, worker_id


class Command(BaseCommand):
    help = "Run background jobs, event deliveries and timers until stopped (SIGTERM/SIGINT stop gracefully)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--once", action="store_true", help="run what is due now, then exit")
        parser.add_argument(
            "--idle-sleep", type=float, default=0.5, help="seconds to wait when nothing is due"
        )
        parser.add_argument(
            "--report-every", type=float, default=60.0, help="seconds between queue-depth lines"
        )

    def handle(
        self, *args, once: bool = False, idle_sleep: float = 0.5, report_every: float = 60.0, **options
    ) -> None:
        owner = worker_id()
        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write(f"worker {owner} started")
        last_report = 0.0
        while not stopping:
            run_due_timers(owner)
            job = claim_job(owner)
            if job is not None:
                ok = run_job(job, owner)
                self.stdout.write(f"{'done' if ok else 'failed'} {job.name}#{job.pk}")
                continue
            if once:
                break
            if time.monotonic() - last_report > report_every:
                self.stdout.write(f"queue depth {queue_depth()}")
                last_report = time.monotonic()
            time.sleep(idle_sleep)
        self.stdout.write(f"worker {owner} stopped")
