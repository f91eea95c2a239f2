"""Demo data for the payments app.

The demo keeps the sandbox as the gateway (it needs no other process).  WeChat Pay is shown by
running the local WeChat Pay v3 provider next to the site, which sets up the merchant account
itself (fresh keys every run), so nothing is stored here."""

from __future__ import annotations


def seed(stdout) -> None:
    stdout.write(
        "Payments: sandbox by default. For WeChat Pay, run "
        "`uv run --frozen python manage.py wechatpay_local --brands` beside the site (see docs/payments.md)."
    )
