"""The flash sale's refusal once it is sold out: a per-process memo and a lean page.

In a stampede most presses come after the last unit is gone (700 of the benchmark's 800).  Each
such press is refused from a short memo instead of the database, with a small page rendered once
per (sale, language):

- :func:`remember` notes "sale X is sold out" in this process when a read of the sale's row says
  so.  The note lives at most :data:`SECONDS` (by :func:`fenxiao.core.clock.now`, so a test that
  moves the clock sees fresh data).  It is only ever used to *refuse*: a press it lets through
  still goes through the checkout, whose conditional ``UPDATE`` on the sale is what sells a unit,
  so the memo can never oversell or break a per-member limit.  The press is still signed in
  first (a visitor who is not is sent to sign in, as before).
- Units can come back: an unpaid order cancelled (``flash.release_units``), or the sale's row
  saved (the brand resumes it, changes its quantity or window).  Those writers call
  :func:`forget`, at once and again after their transaction commits, so this process sees the
  unit immediately; other processes see it within :data:`SECONDS` (the trade-off: a unit that comes
  back may be refused to a press of another process for up to that long — it is never sold twice).
- The page (``marketing/flash_sold_out.html``) holds nothing of the person who pressed: no CSRF
  token, no name, no messages, no form — only the sale's product, the sold-out message and links
  back to the product and the shop.  That is what lets one rendering serve every member; the
  template is rendered without a request (no context processors) so nothing user-specific can
  slip in.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.transaction import TransactionManagementError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from fenxiao.core import clock

#: How long a "sold out" note is trusted, by default (settings.FLASH_SOLD_OUT_MEMO_SECONDS
#: overrides it; 0 turns the memo off).
SECONDS = 1.0
TEMPLATE = "marketing/flash_sold_out.html"
_MAX_ENTRIES = 1000


@dataclass
class _Note:
    at: datetime
    sale_id: int
    title: str
    product_id: int
    brand_slug: str
    pages: dict[str, bytes] = field(default_factory=dict)  # language → rendered body


_notes: dict[int, _Note] = {}


def _seconds() -> float:
    return float(getattr(settings, "FLASH_SOLD_OUT_MEMO_SECONDS", SECONDS))


def _fresh(note: _Note | None) -> _Note | None:
    if note is None:
        return None
    seconds = _seconds()
    now = clock.now()
    if seconds <= 0 or not note.at <= now < note.at + timedelta(seconds=seconds):
        return None
    return note


def remember(sale) -> None:
    """Note that ``sale`` (a FlashSale with ``sku__product__brand`` loaded) is sold out."""
    if _seconds() <= 0 or sale.sold < sale.quantity:
        return
    if len(_notes) >= _MAX_ENTRIES:
        _notes.clear()
    product = sale.sku.product
    _notes[sale.pk] = _Note(
        at=clock.now(),
        sale_id=sale.pk,
        title=product.title,
        product_id=product.pk,
        brand_slug=product.brand.slug,
    )


def forget(sale_id: int) -> None:
    """Drop the note of ``sale_id`` now and once the current transaction commits (units may come
    back: a read between now and the commit would see the old tally and note it again)."""
    _notes.pop(sale_id, None)
    with suppress(TransactionManagementError):  # manual transaction management: dropped above
        transaction.on_commit(lambda: _notes.pop(sale_id, None), robust=True)


def clear() -> None:
    _notes.clear()


def refusal(sale_id: int) -> HttpResponse | None:
    """The refusal of a press on ``sale_id`` from the memo, or None when it has no fresh note."""
    note = _fresh(_notes.get(sale_id))
    if note is None:
        return None
    return _response(note, None)


def refuse(sale, errors: list[str] | None = None) -> HttpResponse:
    """The refusal of a press on ``sale``, just read and sold out (noted for the next presses)."""
    remember(sale)
    note = _notes.get(sale.pk)
    if note is None:  # the memo is off
        product = sale.sku.product
        note = _Note(clock.now(), sale.pk, product.title, product.pk, product.brand.slug)
    return _response(note, errors)


def _response(note: _Note, errors: list[str] | None) -> HttpResponse:
    if errors:
        body = _render(note, errors)
    else:
        language = translation.get_language() or settings.LANGUAGE_CODE
        body = note.pages.get(language)
        if body is None:
            body = note.pages[language] = _render(note, None)
    return HttpResponse(body, status=400, content_type="text/html; charset=utf-8")


def _render(note: _Note, errors: list[str] | None) -> bytes:
    context = {
        "state": "sold_out",
        "sale_id": note.sale_id,
        "title": note.title,
        "product_id": note.product_id,
        "brand_slug": note.brand_slug,
        "errors": errors or [_("Sold out: every unit of this flash sale has been taken.")],
        "platform_name": settings.PLATFORM_NAME,
    }
    return render_to_string(TEMPLATE, context).encode()  # no request: no context processors
