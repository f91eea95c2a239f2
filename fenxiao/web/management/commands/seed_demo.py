from django.core.management.base import BaseCommand

from fenxiao.web.demo import DEMO_PASSWORD, seed


class Command(BaseCommand):
    help = "Load fenxiao's demo data (idempotent) and print the demo sign-ins."

    def handle(self, *args, **options) -> None:
        ctx = seed(out=lambda line: self.stdout.write(line))
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Demo sign-ins (password for all: {DEMO_PASSWORD})"))
        width = max(len(role) for role, _, _ in ctx.sign_ins)
        for role, where, login in ctx.sign_ins:
            self.stdout.write(f"  {role:<{width}}  {login:<13}  http://127.0.0.1:8000{where}")
        self.stdout.write("  shop: http://127.0.0.1:8000/   platform admin: http://127.0.0.1:8000/admin/")
