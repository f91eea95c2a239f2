"""A local server speaking the parts of WeChat's Official Account protocol the CRM uses, for
tests and demos (threaded ``http.server`` on 127.0.0.1; nothing leaves the machine).

- ``GET /cgi-bin/token?grant_type=client_credential&appid&secret`` → ``{access_token, expires_in}``
  or ``{errcode: 40013 invalid appid | 40125 invalid appsecret}``.
- ``POST /cgi-bin/qrcode/create?access_token`` (JSON) → ``{ticket, url}`` (``expire_seconds`` for
  temporary codes) or ``{errcode: 40001}`` for a bad token.
- ``GET /connect/oauth2/authorize?appid&redirect_uri&response_type=code&scope&state`` → 302 to
  ``redirect_uri?code=…&state=…`` for the "person at the phone" (:attr:`LocalWechat.current_openid`).
- ``GET /sns/oauth2/access_token?appid&secret&code&grant_type=authorization_code`` →
  ``{access_token, expires_in, refresh_token, openid, scope}``; ``40029 invalid code``,
  ``40163 code been used``.
- ``GET /sns/userinfo?access_token&openid&lang`` → the profile; ``48001 api unauthorized`` for a
  snsapi_base token, ``40001`` for an unknown token.

    with LocalWechat({"wx123": "secret"}) as wx:
        settings.WECHAT_API_BASE = wx.base_url; settings.WECHAT_OPEN_BASE = wx.base_url
"""

from __future__ import annotations

import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse


def _error(code: int, message: str) -> dict:
    return {"errcode": code, "errmsg": f"{message} rid: {secrets.token_hex(4)}"}


class LocalWechat:
    def __init__(self, apps: dict[str, str]):
        self.apps = dict(apps)
        self.current_openid = "o_local_" + secrets.token_hex(6)
        self.nickname = "微信用户"
        self.tokens: set[str] = set()
        self.codes: dict[str, dict] = {}
        self.user_tokens: dict[str, dict] = {}
        self.qrcodes: list[dict] = []
        self._server: ThreadingHTTPServer | None = None
        self._lock = threading.Lock()

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start the server first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/"

    def __enter__(self) -> LocalWechat:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                return

            def _json(self, payload: dict) -> None:
                body = json.dumps(payload, ensure_ascii=False).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json; encoding=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:  # noqa: N802
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path == "/cgi-bin/token":
                    return self._json(owner.token(query))
                if url.path == "/connect/oauth2/authorize":
                    location = owner.authorize(query)
                    if isinstance(location, dict):
                        return self._json(location)
                    self.send_response(302)
                    self.send_header("Location", location)
                    self.end_headers()
                    return None
                if url.path == "/sns/oauth2/access_token":
                    return self._json(owner.oauth_token(query))
                if url.path == "/sns/userinfo":
                    return self._json(owner.userinfo(query))
                self.send_error(404)
                return None

            def do_POST(self) -> None:  # noqa: N802
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                if url.path == "/cgi-bin/qrcode/create":
                    try:
                        data = json.loads(raw or b"{}")
                    except ValueError:
                        return self._json(_error(47001, "data format error"))
                    return self._json(owner.qrcode(query, data))
                self.send_error(404)
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    # --- protocol ---------------------------------------------------------------------------

    def token(self, query: dict) -> dict:
        if query.get("grant_type") != "client_credential":
            return _error(40002, "invalid grant_type")
        appid = query.get("appid", "")
        if appid not in self.apps:
            return _error(40013, "invalid appid")
        if self.apps[appid] != query.get("secret"):
            return _error(40125, "invalid appsecret")
        token = secrets.token_urlsafe(48)
        with self._lock:
            self.tokens.add(token)
        return {"access_token": token, "expires_in": 7200}

    def qrcode(self, query: dict, data: dict) -> dict:
        if query.get("access_token") not in self.tokens:
            return _error(40001, "invalid credential, access_token is invalid or not latest")
        action = data.get("action_name")
        scene = (data.get("action_info") or {}).get("scene") or {}
        if action not in {"QR_SCENE", "QR_STR_SCENE", "QR_LIMIT_SCENE", "QR_LIMIT_STR_SCENE"} or not scene:
            return _error(40053, "invalid action info")
        ticket = "gQ" + secrets.token_urlsafe(40)
        result = {"ticket": ticket, "url": f"http://weixin.qq.com/q/{secrets.token_urlsafe(16)}"}
        if action in {"QR_SCENE", "QR_STR_SCENE"}:
            result["expire_seconds"] = int(data.get("expire_seconds") or 60)
        with self._lock:
            self.qrcodes.append({"scene": scene, **result})
        return result

    def authorize(self, query: dict) -> str | dict:
        if query.get("appid") not in self.apps:
            return _error(10003, "redirect_uri domain mismatch")
        scope = query.get("scope")
        if scope not in {"snsapi_base", "snsapi_userinfo"} or query.get("response_type") != "code":
            return _error(10005, "unauthorized scope")
        code = secrets.token_urlsafe(24)
        with self._lock:
            self.codes[code] = {"appid": query["appid"], "openid": self.current_openid, "scope": scope}
        params = {"code": code}
        if query.get("state"):
            params["state"] = query["state"]
        redirect_uri = query.get("redirect_uri", "")
        separator = "&" if "?" in redirect_uri else "?"
        return f"{redirect_uri}{separator}{urlencode(params)}"

    def oauth_token(self, query: dict) -> dict:
        appid = query.get("appid", "")
        if appid not in self.apps:
            return _error(40013, "invalid appid")
        if self.apps[appid] != query.get("secret"):
            return _error(40125, "invalid appsecret")
        if query.get("grant_type") != "authorization_code":
            return _error(40002, "invalid grant_type")
        with self._lock:
            grant = self.codes.get(query.get("code", ""))
            if grant is None or grant["appid"] != appid:
                return _error(40029, "invalid code")
            if grant.get("used"):
                return _error(40163, "code been used")
            grant["used"] = True
            token = secrets.token_urlsafe(32)
            self.user_tokens[token] = grant
        return {
            "access_token": token,
            "expires_in": 7200,
            "refresh_token": secrets.token_urlsafe(32),
            "openid": grant["openid"],
            "scope": grant["scope"],
        }

    def userinfo(self, query: dict) -> dict:
        grant = self.user_tokens.get(query.get("access_token", ""))
        if grant is None or grant["openid"] != query.get("openid"):
            return _error(40001, "invalid credential, access_token is invalid or not latest")
        if grant["scope"] != "snsapi_userinfo":
            return _error(48001, "api unauthorized")
        return {
            "openid": grant["openid"],
            "nickname": self.nickname,
            "sex": 0,
            "province": "",
            "city": "",
            "country": "",
            "headimgurl": "",
            "privilege": [],
        }
