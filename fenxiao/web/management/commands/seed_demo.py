from django.core.management.base import BaseCommand

from fenxiao.core.demo_url import demo_base_url
from fenxiao.web.demo import DEMO_PASSWORD, seed


class Command(BaseCommand):
    help = "Load fenxiao's demo data (idempotent) and print the demo sign-ins."

    def handle(self, *args, **options) -> None:
        base = demo_base_url()
        ctx = seed(out=lambda line: self.stdout.write(line))
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Demo sign-ins (password for all: {DEMO_PASSWORD})"))
        width = max(len(role) for role, _, _ in ctx.sign_ins)
        for role, where, login in ctx.sign_ins:
            self.stdout.write(f"  {role:<{width}}  {login:<13}  {base}{where}")
        self.stdout.write(f"  shop: {base}/   platform admin: {base}/admin/")
