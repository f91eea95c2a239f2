"""CSV and XLSX export of members, streamed in chunks so a large brand does not fill memory."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from django.db.models import QuerySet
from django.http import HttpResponse, StreamingHttpResponse
from django.utils.translation import gettext as _

from fenxiao.core.money import format_yuan

from .models import Member

MAX_XLSX_ROWS = 100_000


def _header() -> list[str]:
    return [
        _("Member id"),
        _("Name"),
        _("Phone"),
        _("Level"),
        _("Channel"),
        _("Orders"),
        _("Total paid (yuan)"),
        _("Growth value"),
        _("Points"),
        _("Last order"),
        _("Joined"),
    ]


def _rows(qs: QuerySet[Member]) -> Iterator[list]:
    for member in qs.select_related("consumer", "level").order_by("pk").iterator(chunk_size=2000):
        yield [
            member.pk,
            member.display_name,
            member.consumer.phone if member.consumer_id and member.consumer.phone else "",
            member.level.name if member.level_id else "",
            member.get_source_channel_display(),
            member.order_count,
            format_yuan(member.total_paid),
            member.growth,
            member.points_balance,
            member.last_order_at.strftime("%Y-%m-%d") if member.last_order_at else "",
            member.created_at.strftime("%Y-%m-%d"),
        ]


def _safe(value):
    """Spreadsheet formula injection: text starting with = + - @ is prefixed with a quote."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def csv_response(qs: QuerySet[Member]) -> StreamingHttpResponse:
    def stream() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        buffer.write("\ufeff")  # Excel opens UTF-8 Chinese text correctly with a BOM
        writer.writerow(_header())
        for row in _rows(qs):
            writer.writerow([_safe(v) for v in row])
            if buffer.tell() > 64_000:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="members.csv"'
    return response


def xlsx_response(qs: QuerySet[Member]) -> HttpResponse:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("members")
    sheet.append(_header())
    for index, row in enumerate(_rows(qs)):
        if index >= MAX_XLSX_ROWS:
            break
        sheet.append([_safe(v) for v in row])
    out = io.BytesIO()
    workbook.save(out)
    response = HttpResponse(
        out.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = 'attachment; filename="members.xlsx"'
    return response
