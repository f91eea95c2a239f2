"""Print the "Life of an order" table (every step, trade's function and each app's that acts, from
the registered order extensions), or write it into docs/architecture.md with ``--write``."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from fenxiao.trade import extensions

START = "<!-- life-of-an-order:start -->"
END = "<!-- life-of-an-order:end -->"
DOCUMENT = Path(settings.BASE_DIR) / "docs" / "architecture.md"


class Command(BaseCommand):
    help = "Print (or --write into docs/architecture.md) the life of an order from the registered extensions."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--write", action="store_true", help="replace the table in docs/architecture.md")

    def handle(self, *args, write: bool, **options) -> None:
        table = extensions.life_of_an_order()
        if not write:
            self.stdout.write(table)
            return
        text = DOCUMENT.read_text(encoding="utf-8")
        if START not in text or END not in text:
            raise CommandError(f"{DOCUMENT} has no {START} … {END} section to replace")
        before, rest = text.split(START, 1)
        after = rest.split(END, 1)[1]
        DOCUMENT.write_text(f"{before}{START}\n{table}{END}{after}", encoding="utf-8")
        self.stdout.write(f"wrote the life of an order into {DOCUMENT}")
