"""CSV and XLSX downloads of a brand settlement statement (money in yuan, two decimals)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import BrandStatement
from .terms import entry_kind_label

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _yuan(fen: int) -> Decimal:
    return (Decimal(int(fen)) / 100).quantize(Decimal("0.01"))


def rows(statement: BrandStatement) -> list[list]:
    """The statement as a table: a summary block, then one row per journal entry."""
    s = statement
    table: list[list] = [
        [_("Brand"), s.brand.name],
        [_("Period"), f"{s.period_start} – {s.period_end}"],
        [_("Opening balance"), _yuan(s.opening)],
        [_("Orders settled, gross"), _yuan(s.gross)],
        [_("Platform fee"), _yuan(-s.platform_fee)],
        [_("Commission"), _yuan(-s.commission)],
        [_("Refunds clawed back"), _yuan(-s.refunds)],
        [_("Adjustments"), _yuan(s.adjustments)],
        [_("Payouts"), _yuan(-s.payouts)],
        [_("Closing balance"), _yuan(s.closing)],
        [],
        [
            _("Posted at"),
            _("Kind"),
            _("Reference"),
            _("Gross"),
            _("Platform fee"),
            _("Commission"),
            _("Amount"),
        ],
    ]
    for line in s.lines.all():
        table.append(
            [
                timezone.localtime(line.posted_at).strftime("%Y-%m-%d %H:%M:%S"),
                entry_kind_label(line.kind),
                line.reference,
                _yuan(line.gross),
                _yuan(line.platform_fee),
                _yuan(line.commission),
                _yuan(line.amount),
            ]
        )
    return table


def render(statement: BrandStatement, fmt: str) -> HttpResponse:
    if fmt not in CONTENT_TYPES:
        raise Http404
    table = rows(statement)
    if fmt == "csv":
        buffer = io.StringIO()
        buffer.write("\ufeff")  # Excel opens UTF-8 Chinese correctly with a BOM
        csv.writer(buffer).writerows(table)
        body: bytes = buffer.getvalue().encode()
    else:
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        sheet.title = "statement"
        for row in table:
            sheet.append([float(v) if isinstance(v, Decimal) else v for v in row])
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, float):
                    cell.number_format = "#,##0.00"
        out = io.BytesIO()
        book.save(out)
        body = out.getvalue()
    response = HttpResponse(body, content_type=CONTENT_TYPES[fmt])
    name = f"statement-{statement.brand_id}-{statement.period_start}"
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response
