import time

from django.core.management.base import BaseCommand

from fenxiao.ledger.management.progress import printer
from fenxiao.ledger.statements import generate_due_statements


class Command(BaseCommand):
    help = (
        "Draw up every brand's settlement statement for each closed period not drawn up yet, with progress."
    )

    def handle(self, *args, **options) -> None:
        started = time.monotonic()
        made = generate_due_statements(progress=printer(self.stdout.write, "statements"))
        self.stdout.write(
            self.style.SUCCESS(f"drew up {made:,} statements in {time.monotonic() - started:,.1f} s")
        )
