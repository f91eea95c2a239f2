"""A local server that speaks Tencent Cloud API 3.0 for SMS ``SendSms`` (version 2021-01-11).

It checks each request as Tencent does: the ``TC3-HMAC-SHA256`` signature over the canonical
request (recomputed here from the documented algorithm, independently of the SDK), the credential
scope (date/service/tc3_request), the timestamp (within 5 minutes), the action, version and region
headers and the request body's fields.  It answers with the documented JSON shapes: a
``SendStatusSet`` on success, ``{"Response": {"Error": {...}}}`` on failure.  The SDK under test is
pointed at it through ``HttpProfile(endpoint=..., protocol="http")``.

Numbers listed in ``daily_limited`` get the per-number status ``LimitExceeded.PhoneNumberDailyLimit``
(the request succeeds, the message is not sent), as the real service does.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SERVICE = "sms"


def tc3_signature(secret_key: str, date: str, string_to_sign: str) -> str:
    def _hmac(key: bytes, message: str) -> bytes:
        return hmac.new(key, message.encode(), hashlib.sha256).digest()

    secret_date = _hmac(("TC3" + secret_key).encode(), date)
    secret_service = _hmac(secret_date, SERVICE)
    secret_signing = _hmac(secret_service, "tc3_request")
    return hmac.new(secret_signing, string_to_sign.encode(), hashlib.sha256).hexdigest()


class TencentSmsServer:
    def __init__(self, *, secret_id: str, secret_key: str, sdk_app_id: str) -> None:
        self.secret_id = secret_id
        self.secret_key = secret_key
        self.sdk_app_id = sdk_app_id
        self.received: list[dict] = []  # the verified SendSms bodies
        self.daily_limited: set[str] = set()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                status, answer = server.handle(self.command, self.path, dict(self.headers.items()), body)
                payload = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")  # exactly, as the SDK expects
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def __enter__(self) -> TencentSmsServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    @staticmethod
    def _error(code: str, message: str) -> tuple[int, dict]:
        return 200, {
            "Response": {"Error": {"Code": code, "Message": message}, "RequestId": str(uuid.uuid4())}
        }

    def handle(self, method: str, path: str, headers: dict, body: bytes) -> tuple[int, dict]:
        headers = {k.lower(): v for k, v in headers.items()}
        auth = headers.get("authorization", "")
        if not auth.startswith("TC3-HMAC-SHA256 "):
            return self._error(
                "AuthFailure.SignatureFailure", "The Authorization header is not TC3-HMAC-SHA256."
            )
        fields = dict(part.strip().split("=", 1) for part in auth[len("TC3-HMAC-SHA256 ") :].split(","))
        secret_id, date, service, terminator = fields.get("Credential", "////").split("/")
        if secret_id != self.secret_id:
            return self._error("AuthFailure.SecretIdNotFound", "The SecretId is not found.")
        timestamp = int(headers.get("x-tc-timestamp", "0"))
        if abs(time.time() - timestamp) > 300:
            return self._error("AuthFailure.SignatureExpire", "The signature expired.")
        if (
            service != SERVICE
            or terminator != "tc3_request"
            or date != datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
            or fields.get("SignedHeaders") != "content-type;host"
        ):
            return self._error("AuthFailure.SignatureFailure", "The credential scope is wrong.")
        canonical_request = "\n".join(
            [
                method,
                path,
                "",
                f"content-type:{headers.get('content-type', '')}\nhost:{headers.get('host', '')}\n",
                "content-type;host",
                hashlib.sha256(body).hexdigest(),
            ]
        )
        string_to_sign = "\n".join(
            [
                "TC3-HMAC-SHA256",
                str(timestamp),
                f"{date}/{SERVICE}/tc3_request",
                hashlib.sha256(canonical_request.encode()).hexdigest(),
            ]
        )
        expected = tc3_signature(self.secret_key, date, string_to_sign)
        if not hmac.compare_digest(expected, fields.get("Signature", "")):
            return self._error(
                "AuthFailure.SignatureFailure",
                "The provided credentials could not be validated. Please check your signature is correct.",
            )
        if headers.get("x-tc-action") != "SendSms" or headers.get("x-tc-version") != "2021-01-11":
            return self._error("InvalidAction", "The action or version is not supported.")
        if not headers.get("x-tc-region"):
            return self._error("MissingParameter", "The region is missing.")
        request = json.loads(body)
        for name in ("PhoneNumberSet", "SmsSdkAppId", "TemplateId"):
            if not request.get(name):
                return self._error(
                    "MissingParameter", f"The request is missing a required parameter `{name}`."
                )
        if request["SmsSdkAppId"] != self.sdk_app_id:
            return self._error("FailedOperation.SmsSdkAppIdVerifyFail", "The SdkAppId does not match.")
        self.received.append(request)
        statuses = []
        for number in request["PhoneNumberSet"]:
            limited = number in self.daily_limited
            statuses.append(
                {
                    "SerialNo": "" if limited else f"2433:{uuid.uuid4().int % 10**20}",
                    "PhoneNumber": number,
                    "Fee": 0 if limited else 1,
                    "SessionContext": request.get("SessionContext", ""),
                    "Code": "LimitExceeded.PhoneNumberDailyLimit" if limited else "Ok",
                    "Message": "the number of SMS messages sent from a single mobile number every day exceeds the upper limit"
                    if limited
                    else "send success",
                    "IsoCode": "CN",
                }
            )
        return 200, {"Response": {"SendStatusSet": statuses, "RequestId": str(uuid.uuid4())}}
