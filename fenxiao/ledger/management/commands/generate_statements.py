import time

from django.core.management.base import BaseCommand

from fenxiao.ledger.statements import generate_due_statements


class Command(BaseCommand):
    help = (
        "Draw up every brand's settlement statement for each closed period not drawn up yet, with progress."
    )

    def handle(self, *args, **options) -> None:
        started = time.monotonic()
        shown = [0.0]

        def progress(done: int, total: int) -> None:
            elapsed = time.monotonic() - started
            if elapsed - shown[0] >= 1 or done == total:
                shown[0] = elapsed
                rate = done / elapsed if elapsed else 0.0
                eta = f"{(total - done) / rate:,.0f} s" if rate else "?"
                self.stdout.write(f"  {done:>10,} / {total:,} statements  {rate:>8,.0f}/s  ETA {eta}")

        made = generate_due_statements(progress=progress)
        self.stdout.write(
            self.style.SUCCESS(f"drew up {made:,} statements in {time.monotonic() - started:,.1f} s")
        )
