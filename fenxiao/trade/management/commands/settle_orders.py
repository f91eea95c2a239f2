import time

from django.core.management.base import BaseCommand

from fenxiao.trade import conf
from fenxiao.trade.settlement import Outcome, due_orders, settle_all_due


class Command(BaseCommand):
    help = (
        "Settle every completed order that is due, in batches (one transaction each; safe beside "
        "running workers), with progress: orders settled, per second, ETA."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--batch-size", type=int, default=None, help="orders per batch (default 5000)")
        parser.add_argument("--max-batches", type=int, default=None, help="stop after this many batches")

    def handle(self, *args, batch_size: int | None, max_batches: int | None, **options) -> None:
        batch_size = batch_size or conf.settlement_batch_size()
        due = due_orders()
        self.stdout.write(f"{due:,} orders due for settlement, batches of {batch_size:,}")
        started = time.monotonic()
        shown = [0.0]
        pending: list[str] = []  # the last line, when it was held back
        skipped: list[int] = []

        def progress(outcome: Outcome, settled: int) -> None:
            skipped.extend(outcome.skipped)
            elapsed = time.monotonic() - started
            rate = settled / elapsed if elapsed else 0.0
            left = max(0, due - settled - len(skipped))
            eta = f"{left / rate:,.0f} s" if rate else "?"
            line = f"  {settled:>12,} / {due:,} settled  {rate:>10,.0f} orders/s  ETA {eta}" + (
                f"  ({len(skipped)} skipped, see the log)" if skipped else ""
            )
            pending[:] = [line]
            if elapsed - shown[0] >= 1 or outcome.picked < batch_size:  # a line a second, and the last
                shown[0] = elapsed
                self.stdout.write(pending.pop())

        settled = settle_all_due(batch_size=batch_size, max_batches=max_batches, progress=progress)
        if pending:
            self.stdout.write(pending.pop())
        elapsed = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"settled {settled:,} orders in {elapsed:,.1f} s"
                + (f" ({settled / elapsed:,.0f}/s)" if elapsed > 0 and settled else "")
            )
        )
        if skipped:
            self.stdout.write(
                self.style.WARNING(
                    f"{len(skipped)} not settled (commission and fee above what they kept, or refused "
                    f"by the ledger): {', '.join(map(str, skipped[:20]))}"
                )
            )
