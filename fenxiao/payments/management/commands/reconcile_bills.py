import time
from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError

from fenxiao.ledger.management.progress import printer
from fenxiao.payments.reconciliation import ReconciliationError, reconcile, today_in_china


class Command(BaseCommand):
    help = (
        "Download a provider's trade and fund-flow bills of one day and match every line against our "
        "payments, refunds and payouts, with progress (a day is reconciled once)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--date", help="the bill date, YYYY-MM-DD (China time; default: yesterday)")
        parser.add_argument("--provider", default="sandbox", help="sandbox or wechatpay (default: sandbox)")

    def handle(self, *args, **options) -> None:
        try:
            day = (
                date.fromisoformat(options["date"])
                if options["date"]
                else today_in_china() - timedelta(days=1)
            )
        except ValueError as exc:
            raise CommandError("--date must be YYYY-MM-DD") from exc
        started = time.monotonic()
        self.stdout.write(f"reconciling the {options['provider']} bills of {day.isoformat()}")
        try:
            run = reconcile(options["provider"], day, progress=printer(self.stdout.write, "our records"))
        except ReconciliationError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"{run.bill_lines:,} bill lines, {run.our_records:,} of our records: {run.matched:,} matched, "
                f"{run.break_count:,} breaks ({time.monotonic() - started:,.1f} s)"
            )
        )
        for brk in run.breaks.all()[:20]:
            self.stdout.write(
                f"  {brk.kind:15} {brk.record:9} {brk.out_no}  ours={brk.ours} theirs={brk.theirs}"
            )
