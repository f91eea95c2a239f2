"""A real webhook receiver on 127.0.0.1 for the tests: verifies every signature, can fail the
first N requests, records what it accepted."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from fenxiao.openapi.signing import HEADER, verify


class Receiver:
    def __init__(self, fail_first: int = 0, always_fail: bool = False) -> None:
        self.secret = ""
        self.fail_first = fail_first
        self.always_fail = always_fail
        self.requests: list[dict] = []  # every request seen
        self.accepted: list[dict] = []  # bodies answered 2xx
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                signed = verify(
                    receiver.secret, self.headers.get(HEADER, ""), body, now=int(time.time()), tolerance=10**9
                )
                with receiver.lock:
                    receiver.requests.append({"body": body, "signed": signed, "headers": dict(self.headers)})
                    failing = receiver.always_fail or len(receiver.requests) <= receiver.fail_first
                    if signed and not failing:
                        receiver.accepted.append(json.loads(body))
                self.send_response(400 if not signed else 503 if failing else 200)
                self.end_headers()
                self.wfile.write(b"nope" if failing or not signed else b"ok")

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
