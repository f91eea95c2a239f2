"""Kuaidi100 (快递100) tracking: the real query and subscribe protocol.

* real-time query: ``POST {base}/poll/query.do`` form fields ``customer``, ``param`` (JSON
  ``{"com", "num", "phone", "resultv2"}``) and ``sign`` = upper-case MD5(param + key + customer);
* subscribe: ``POST {base}/poll`` form fields ``schema=json`` and ``param`` (JSON ``{"company",
  "number", "key", "parameters": {"callbackurl", "salt", "phone", "resultv2"}}``);
* the callback Kuaidi100 then posts: form fields ``param`` (JSON with ``lastResult``, the same shape
  as a query answer) and ``sign`` = upper-case MD5(param + salt); answered with
  ``{"result": true, "returnCode": "200", "message": "成功"}``.
"""

from __future__ import annotations

import hashlib
import json
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime

from django.utils import timezone

from . import TrackingError, TrackingResult, TrackingStep

TIMEOUT_SECONDS = 10
DELIVERED = "3"


def md5_upper(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest().upper()  # noqa: S324 - the protocol's MD5


def query_sign(param: str, key: str, customer: str) -> str:
    return md5_upper(param + key + customer)


def callback_sign(param: str, salt: str) -> str:
    return md5_upper(param + salt)


def dumps(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def parse_result(data: dict) -> TrackingResult:
    """A query answer (or a callback's ``lastResult``) as a TrackingResult."""
    if str(data.get("status")) != "200" or data.get("message") != "ok":
        raise TrackingError(str(data.get("message") or data.get("returnCode") or "unknown answer"))
    steps = []
    for row in data.get("data") or []:
        moment = datetime.strptime(row.get("ftime") or row["time"], "%Y-%m-%d %H:%M:%S")
        steps.append(
            TrackingStep(
                at=timezone.make_aware(moment, timezone.get_fixed_timezone(8 * 60)),
                context=str(row.get("context", ""))[:300],
                location=str(row.get("areaName") or row.get("location") or "")[:100],
            )
        )
    state = str(data.get("state", ""))
    return TrackingResult(
        state=state, delivered=state == DELIVERED or data.get("ischeck") == "1", steps=steps
    )


class Kuaidi100:
    def __init__(self, *, base_url: str, customer: str, key: str, salt: str = "") -> None:
        self.base_url = base_url.rstrip("/")
        self.customer, self.key, self.salt = customer, key, salt

    def _post(self, path: str, fields: dict[str, str]) -> dict:
        body = urllib.parse.urlencode(fields).encode()
        request = urllib.request.Request(
            self.base_url + path,
            data=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
                return json.loads(response.read().decode("utf-8"))
        except (urllib.error.URLError, TimeoutError, ValueError) as exc:
            raise TrackingError(f"Kuaidi100 did not answer: {exc}") from exc

    def query(self, carrier: str, tracking_no: str, *, phone: str = "") -> TrackingResult:
        param = dumps({"com": carrier, "num": tracking_no, "phone": phone, "resultv2": "0"})
        answer = self._post(
            "/poll/query.do",
            {"customer": self.customer, "param": param, "sign": query_sign(param, self.key, self.customer)},
        )
        return parse_result(answer)

    def subscribe(self, carrier: str, tracking_no: str, *, callback_url: str, phone: str = "") -> None:
        param = dumps(
            {
                "company": carrier,
                "number": tracking_no,
                "key": self.key,
                "parameters": {
                    "callbackurl": callback_url,
                    "salt": self.salt,
                    "phone": phone,
                    "resultv2": "0",
                },
            }
        )
        answer = self._post("/poll", {"schema": "json", "param": param})
        if (
            answer.get("result") is not True and str(answer.get("returnCode")) != "501"
        ):  # 501: already subscribed
            raise TrackingError(str(answer.get("message") or answer.get("returnCode")))


def read_callback(param: str, sign: str, *, salt: str) -> tuple[str, str, TrackingResult]:
    """(company code, tracking number, result) of a pushed ``param`` checked against its
    ``sign``; TrackingError when it does not match or does not parse."""
    if not salt or sign.upper() != callback_sign(param, salt):
        raise TrackingError("bad signature")
    try:
        data = json.loads(param)
    except ValueError as exc:
        raise TrackingError("param is not JSON") from exc
    last = data.get("lastResult") or {}
    return str(last.get("com", "")), str(last.get("nu", "")), parse_result(last)


def callback_answer(ok: bool, message: str = "") -> dict:
    if ok:
        return {"result": True, "returnCode": "200", "message": "成功"}
    return {"result": False, "returnCode": "500", "message": message or "失败"}
