"""Run the local WeChat Pay v3 provider for demos: ``manage.py wechatpay_local``.

It generates a fresh merchant key pair, registers it with the provider, stores the matching
(encrypted) merchant account as the active one pointing at this server, and with ``--brands``
switches every brand to WeChat Pay.  With ``--service-provider`` every brand is put on the
service-provider funds flow as a sub-merchant of this provider (brands already on it are always
registered as its sub-merchants).  Stop it with Ctrl-C."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from fenxiao.accounts.models import Brand
from fenxiao.payments.models import BrandFundsFlow, BrandPaymentSetting, FundsFlow, VerificationMode
from fenxiao.payments.wechatpay_local.merchant import connect_merchant
from fenxiao.payments.wechatpay_local.server import LocalWeChatPay


class Command(BaseCommand):
    help = "Serve a local WeChat Pay API v3 provider and make it the active merchant's endpoint."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument(
            "--notify-url",
            default="http://127.0.0.1:8000/payments/notify/wechatpay/",
            help="where the provider posts notifications (the fenxiao site's notify endpoint)",
        )
        parser.add_argument("--mode", choices=[m.value for m in VerificationMode], default="public_key")
        parser.add_argument("--brands", action="store_true", help="switch every brand to WeChat Pay")
        parser.add_argument(
            "--service-provider",
            action="store_true",
            help="put every brand on the service-provider flow (a sub-merchant of this provider)",
        )

    def handle(
        self,
        *args,
        host: str,
        port: int,
        notify_url: str,
        mode: str,
        brands: bool,
        service_provider: bool,
        **options,
    ):
        server = LocalWeChatPay(host, port, auto_notify=True)
        account = connect_merchant(server, mode=mode, notify_url=notify_url, name="Local WeChat Pay (demo)")
        if brands:
            for brand in Brand.objects.all():
                BrandPaymentSetting.objects.update_or_create(brand=brand, defaults={"gateway": "wechatpay"})
        if service_provider:
            for brand in Brand.objects.all():
                setting = BrandFundsFlow.objects.filter(brand=brand).first() or BrandFundsFlow(brand=brand)
                setting.flow = FundsFlow.SERVICE_PROVIDER
                if not setting.sub_mchid_encrypted:
                    setting.sub_mchid = f"{1600000000 + brand.pk}"
                setting.save()
        for setting in BrandFundsFlow.objects.filter(flow=FundsFlow.SERVICE_PROVIDER):
            server.register_sub_merchant(account.mchid, setting.sub_mchid)
        self.stdout.write(
            f"Local WeChat Pay v3 at {server.url} — merchant {account.mchid} ({mode}), notifications to {notify_url}"
        )
        self.stdout.write(
            f"Native QR codes: open {server.url}/scan/?code_url=<the code> to pay; H5 pages pay directly."
        )
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            self.stdout.write("stopped")
