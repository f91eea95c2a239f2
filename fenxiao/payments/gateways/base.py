"""The payment gateway interface.  The sandbox (default) and WeChat Pay v3 implement it; a
brand switches gateways by configuration (``PAYMENT_GATEWAY``)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime


class InvalidNotification(Exception):
    """A notification that failed verification (signature, timestamp, serial, shape)."""


class GatewayError(Exception):
    """The provider refused a call or could not be reached."""


@dataclass(frozen=True)
class PaymentAction:
    """What the consumer's browser does next: go to a URL, show a QR code, or call JSAPI."""

    redirect_url: str = ""
    qr_text: str = ""
    jsapi_params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class GatewayPaymentState:
    out_trade_no: str
    state: str  # SUCCESS, NOTPAY, CLOSED, PAYERROR, REFUND
    amount: int
    transaction_id: str = ""
    paid_at: datetime | None = None


@dataclass(frozen=True)
class GatewayNotification:
    notification_id: str
    event_type: str  # TRANSACTION.SUCCESS, REFUND.SUCCESS, REFUND.ABNORMAL, …
    resource: Mapping


@dataclass(frozen=True)
class GatewayRefundResult:
    succeeded: bool
    provider_refund_id: str = ""
    failure_reason: str = ""
    pending: bool = False


@dataclass(frozen=True)
class DailyBills:
    """One day's trade and fund-flow bills, downloaded, verified and parsed."""

    lines: list  # of fenxiao.payments.bills.BillLine
    trade_sha1: str = ""
    fundflow_sha1: str = ""


class PaymentGateway(ABC):
    name: str

    @abstractmethod
    def start(
        self,
        payment,
        *,
        return_url: str,
        notify_url: str,
        client_ip: str = "",
        scene: str = "redirect",
        openid: str = "",
    ) -> PaymentAction: ...

    @abstractmethod
    def parse_notification(self, headers: Mapping[str, str], body: bytes) -> GatewayNotification: ...

    def notification_response(self, ok: bool, message: str = "") -> tuple[int, str, str]:
        """(status, body, content type) the provider expects as the answer to a notification."""
        if ok:
            return 204, "", "application/json"
        import json

        return 400, json.dumps({"code": "FAIL", "message": message or "failed"}), "application/json"

    @abstractmethod
    def query(self, payment) -> GatewayPaymentState: ...

    @abstractmethod
    def close(self, payment) -> None: ...

    @abstractmethod
    def refund(self, refund) -> GatewayRefundResult: ...

    @abstractmethod
    def transfer(self, transfer) -> GatewayRefundResult:
        """Pay ``transfer.amount`` to the payee's wallet; the same result shape as a refund."""

    def bill(self, day: date) -> DailyBills:
        """The provider's trade and fund-flow bills of ``day`` (China time), verified and parsed;
        raises ``fenxiao.payments.bills.BillError`` for a bill that does not verify."""
        raise GatewayError(f"{self.name} serves no bills")
