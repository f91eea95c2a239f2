from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from fenxiao.ledger.management.progress import printer
from fenxiao.ledger.models import PayoutStatus
from fenxiao.ledger.payouts import execute_run


class Command(BaseCommand):
    help = "Execute an approved brand payout run (each payout once; safe to run again), with progress."

    def add_arguments(self, parser) -> None:
        parser.add_argument("run_id", type=int)

    def handle(self, *args, run_id: int, **options) -> None:
        try:
            run = execute_run(run_id=run_id, progress=printer(self.stdout.write, "payouts"))
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        counts = ", ".join(f"{s} {run.payouts.filter(status=s).count()}" for s in PayoutStatus.values)
        self.stdout.write(self.style.SUCCESS(f"run {run.pk}: {run.status}; {counts}"))
