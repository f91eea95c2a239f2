"""CSV and XLSX downloads of a dashboard table (money in yuan, rates in percent)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from django.http import Http404, HttpResponse

from .dashboards import INT, MONEY, PCT, Table

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _cell(value, kind: str):
    if kind == MONEY:
        return Decimal(int(value)) / 100
    if kind == PCT:
        return None if value is None else Decimal(int(value)) / 100
    if kind == INT:
        return int(value)
    return str(value)


def render(table: Table, fmt: str, filename: str) -> HttpResponse:
    if fmt not in CONTENT_TYPES:
        raise Http404
    headers = [label for label, _kind in table.columns]
    rows = [
        [_cell(v, kind) for v, (_label, kind) in zip(row, table.columns, strict=True)] for row in table.rows
    ]
    if fmt == "csv":
        buffer = io.StringIO()
        buffer.write("\ufeff")  # Excel opens UTF-8 Chinese correctly with a BOM
        writer = csv.writer(buffer)
        writer.writerow(headers)
        writer.writerows(rows)
        body: bytes = buffer.getvalue().encode()
    else:
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        sheet.title = table.name[:31]
        sheet.append(headers)
        for row in rows:
            sheet.append([float(v) if isinstance(v, Decimal) else v for v in row])
        for col, (_label, kind) in enumerate(table.columns, 1):
            if kind == MONEY:
                for cells in sheet.iter_rows(min_row=2, min_col=col, max_col=col):
                    cells[0].number_format = "#,##0.00"
        out = io.BytesIO()
        book.save(out)
        body = out.getvalue()
    response = HttpResponse(body, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response
