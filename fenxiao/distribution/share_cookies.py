"""What a share-link click leaves in the visitor's browser, without a server-side session.

The share-link redirect is the hot path of a viral post: every click is a new person. Creating a
database session for each of them (an INSERT, then an UPDATE when the pending link is stored)
doubled the redirect's cost, so the click sets two cookies instead:

- ``fx_share``: the code of the link the visitor arrived through, signed (so a browser cannot
  claim a link it never clicked without knowing the code); read when the visitor signs in
  (binding), at checkout (attribution, store prices) and when joining through an invitation;
- ``fx_vid``: a random visitor id, the "session key" of the visit rows, so the data cube counts
  unique anonymous visitors as before.

The code a session held before this change (``PENDING_LINK_SESSION_KEY``) is still honoured.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.http import HttpRequest, HttpResponse

PENDING_LINK_SESSION_KEY = "fenxiao_share_code"  # what a session held before the cookies
SIGNUP_SESSION_FLAG = "just_signed_up"  # set by accounts.views.signup

SHARE_COOKIE = "fx_share"
VISITOR_COOKIE = "fx_vid"
_SALT = "fenxiao.distribution.share"
SHARE_MAX_AGE = 30 * 24 * 3600
VISITOR_MAX_AGE = 365 * 24 * 3600


def pending_code(request: HttpRequest) -> str:
    """The code of the share link this browser arrived through last ('' when none)."""
    code = request.get_signed_cookie(SHARE_COOKIE, default="", salt=_SALT, max_age=SHARE_MAX_AGE)
    if not code and hasattr(request, "session"):
        code = request.session.get(PENDING_LINK_SESSION_KEY, "")
    return code or ""


def visitor_id(request: HttpRequest) -> tuple[str, bool]:
    """(the browser's visitor id, whether it is new and must be set on the response)."""
    current = request.COOKIES.get(VISITOR_COOKIE, "")
    if current and len(current) <= 40 and current.isascii():
        return current, False
    return secrets.token_urlsafe(16), True


def remember(response: HttpResponse, *, code: str, visitor: str, new_visitor: bool) -> HttpResponse:
    options = {
        "httponly": True,
        "samesite": "Lax",
        "secure": getattr(settings, "SESSION_COOKIE_SECURE", False),
    }
    response.set_signed_cookie(SHARE_COOKIE, code, salt=_SALT, max_age=SHARE_MAX_AGE, **options)
    if new_visitor:
        response.set_cookie(VISITOR_COOKIE, visitor, max_age=VISITOR_MAX_AGE, **options)
    return response
