"""A local Kuaidi100: an HTTP server that speaks the query and subscribe protocol with real
signatures, for tests and the demo (nothing leaves the machine).

    server = LocalKuaidi100(customer="C1", key="K1").start()
    settings.KUAIDI100_URL = server.url
    server.deliver("shunfeng", "SF1")      # the parcel arrives; subscribers get a signed push
    server.stop()

Every tracking number it is asked about has a route, timed (Beijing time) from the moment it
was first asked about: picked up, in transit, arrived, out for delivery (state 5), until
``deliver`` adds the signed-for step (state 3).
"""

from __future__ import annotations

import json
import threading
import urllib.parse
import urllib.request
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from fenxiao.trade.couriers import find

from .kuaidi100 import callback_sign, dumps, query_sign

BEIJING = timezone(timedelta(hours=8))
ROUTE = (
    (1, "1", "深圳市", "【深圳市】您的快件已由【深圳南山营业点】揽收"),
    (2, "0", "深圳市", "【深圳市】快件已发往【杭州转运中心】"),
    (3, "0", "杭州市", "【杭州市】快件已到达【杭州转运中心】"),
    (4, "5", "杭州市", "【杭州市】快递员正在派件，请保持电话畅通"),
)
DELIVERED_STEP = (5, "3", "杭州市", "【杭州市】您的快件已签收，签收人：本人。感谢使用，期待再次为您服务")


class LocalKuaidi100:
    def __init__(self, *, customer: str, key: str, host: str = "127.0.0.1", port: int = 0) -> None:
        self.customer, self.key = customer, key
        self.first_seen: dict[tuple[str, str], datetime] = {}
        self.delivered: set[tuple[str, str]] = set()
        self.subscriptions: dict[tuple[str, str], dict] = {}
        self.queries: list[dict] = []
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format, *args):  # noqa: A002 - the base class's name
                pass

            def do_POST(self):  # noqa: N802 - the base class's name
                length = int(self.headers.get("Content-Length") or 0)
                fields = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode("utf-8")))
                answer = owner.handle(self.path, fields)
                body = json.dumps(answer, ensure_ascii=False).encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", "application/json;charset=UTF-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> LocalKuaidi100:
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- the protocol ---------------------------------------------------------------------------
    def handle(self, path: str, fields: dict[str, str]) -> dict:
        if path == "/poll/query.do":
            return self._query(fields)
        if path == "/poll":
            return self._subscribe(fields)
        return {"result": False, "returnCode": "404", "message": "not found"}

    def _query(self, fields: dict[str, str]) -> dict:
        param = fields.get("param", "")
        if fields.get("customer") != self.customer:
            return {"result": False, "returnCode": "601", "message": "customer 不存在"}
        if fields.get("sign", "") != query_sign(param, self.key, self.customer):
            return {"result": False, "returnCode": "400", "message": "签名错误"}
        data = json.loads(param)
        self.queries.append(data)
        if find(data.get("com", "")) is None or find(data.get("com", "")).code != data.get("com"):
            return {"result": False, "returnCode": "400", "message": "找不到对应公司"}
        return self.result(data["com"], data["num"])

    def _subscribe(self, fields: dict[str, str]) -> dict:
        if fields.get("schema") != "json":
            return {"result": False, "returnCode": "700", "message": "schema 不支持"}
        data = json.loads(fields.get("param", "{}"))
        if data.get("key") != self.key:
            return {"result": False, "returnCode": "600", "message": "您不是合法的订阅者"}
        parcel = (data.get("company", ""), data.get("number", ""))
        with self._lock:
            if parcel in self.subscriptions:
                return {"result": False, "returnCode": "501", "message": "重复订阅"}
            self.subscriptions[parcel] = data.get("parameters") or {}
        return {"result": True, "returnCode": "200", "message": "提交成功"}

    def result(self, com: str, num: str) -> dict:
        steps = list(ROUTE) + ([DELIVERED_STEP] if (com, num) in self.delivered else [])
        with self._lock:
            start = self.first_seen.setdefault((com, num), datetime.now(BEIJING).replace(microsecond=0))
        rows = []
        for order, _state, area, context in reversed(steps):
            moment = (start + timedelta(seconds=order * 15)).strftime("%Y-%m-%d %H:%M:%S")
            rows.append({"time": moment, "ftime": moment, "context": context, "areaName": area})
        state = steps[-1][1]
        return {
            "message": "ok",
            "nu": num,
            "ischeck": "1" if state == "3" else "0",
            "com": com,
            "status": "200",
            "condition": "F00",
            "state": state,
            "data": rows,
        }

    # -- driving it from a test or the demo ----------------------------------------------------
    def deliver(self, com: str, num: str) -> None:
        """The parcel is signed for; a subscriber's callback URL gets the signed push."""
        self.delivered.add((com, num))
        subscription = self.subscriptions.get((com, num))
        if subscription and subscription.get("callbackurl"):
            self.push(subscription["callbackurl"], subscription.get("salt", ""), com, num)

    def push(self, callback_url: str, salt: str, com: str, num: str) -> dict:
        param = dumps(
            {"status": "polling", "billstatus": "check", "message": "", "lastResult": self.result(com, num)}
        )
        body = urllib.parse.urlencode({"param": param, "sign": callback_sign(param, salt)}).encode()
        request = urllib.request.Request(callback_url, data=body, method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - a local URL
            return json.loads(response.read().decode("utf-8"))
