from django.core.management.base import BaseCommand

from fenxiao.analytics.rebuild import rebuild


class Command(BaseCommand):
    help = "Rebuild every data-cube rollup from the source tables, with progress."

    def handle(self, *args, **options) -> None:
        rebuild(progress=lambda message: self.stdout.write(message))
