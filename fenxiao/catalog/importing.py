"""CSV import of products: one row per SKU; rows with the same ``product_code`` form one product.

The whole file is checked first and every problem reported with its row and column; nothing is
written unless every row is valid, and then everything is written in one transaction.  Importing
the same file again updates the products with those codes instead of duplicating them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fenxiao.accounts.models import BrandStaff
from fenxiao.accounts.roles import Perm
from fenxiao.core.money import MoneyFormatError, parse_yuan

from . import price_band, services
from .models import Category, Product, ProductStatus


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    help: str


COLUMNS = [
    Column(
        "product_code",
        True,
        gettext_lazy("Your code for the product; rows with the same code are SKUs of one product."),
    ),
    Column("title", True, gettext_lazy("Product title.")),
    Column("category", False, gettext_lazy("Category name as on the platform (e.g. 绿茶).")),
    Column("description", False, gettext_lazy("Description.")),
    Column("spec1_name", False, gettext_lazy("First spec name, e.g. 颜色.")),
    Column("spec1_value", False, gettext_lazy("This SKU's value for it, e.g. 红.")),
    Column("spec2_name", False, gettext_lazy("Second spec name, e.g. 尺码.")),
    Column("spec2_value", False, gettext_lazy("This SKU's value for it, e.g. M.")),
    Column("barcode", False, gettext_lazy("Barcode.")),
    Column("weight_grams", False, gettext_lazy("Weight in grams (whole number).")),
    Column("stock", True, gettext_lazy("Stock (whole number, 0 or more).")),
    Column("retail_price", True, gettext_lazy("Retail price in yuan, e.g. 89.00.")),
    Column("price_min", False, gettext_lazy("Lowest distributor price in yuan (blank = retail price).")),
    Column("price_max", False, gettext_lazy("Highest distributor price in yuan (blank = retail price).")),
    Column("status", False, gettext_lazy("draft, on_sale or off_shelf (blank = draft).")),
]
EXAMPLE_ROWS = [
    [
        "T-001",
        "明前龙井 250g",
        "绿茶",
        "Spring harvest",
        "规格",
        "250g",
        "",
        "",
        "6901234500011",
        "300",
        "100",
        "168.00",
        "150.00",
        "188.00",
        "on_sale",
    ],
    ["S-002", "纯棉T恤", "", "", "颜色", "白", "尺码", "M", "", "200", "50", "79.00", "", "", "draft"],
    ["S-002", "纯棉T恤", "", "", "颜色", "白", "尺码", "L", "", "210", "40", "79.00", "", "", "draft"],
]
MAX_ROWS = 5000


@dataclass
class RowError:
    row: int
    column: str
    message: str


@dataclass
class ImportReport:
    rows: int = 0
    products: int = 0
    skus: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class _ProductRows:
    code: str
    title: str
    category: Category | None
    description: str
    spec_names: list[str]
    status: str
    first_row: int
    skus: list[services.SkuInput] = field(default_factory=list)


def _decode(file) -> str:
    raw = file.read()
    if isinstance(raw, str):
        return raw.lstrip("\ufeff")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationError(_("The file is neither UTF-8 nor GB18030 text."))


def import_products_csv(
    *, actor: BrandStaff, file, progress: Callable[[int, int], None] | None = None
) -> ImportReport:
    """Check every row, then write everything or nothing.  ``progress(done, total)`` is called as rows are written."""
    for permission in (Perm.CATALOG_EDIT, Perm.CATALOG_PRICE, Perm.CATALOG_STOCK):
        if not actor.can(permission):
            raise PermissionDenied(_("Your role may not import products."))
    report = ImportReport()
    try:
        text = _decode(file)
    except ValidationError as exc:
        report.errors.append(RowError(0, "", exc.messages[0]))
        return report
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c.name for c in COLUMNS if c.required and c.name not in header]
    if missing:
        report.errors.append(
            RowError(
                1, ", ".join(missing), _("Missing column(s). Download the template for the expected header.")
            )
        )
        return report
    categories = {c.name: c for c in Category.objects.all()}
    groups: dict[str, _ProductRows] = {}
    for index, raw_row in enumerate(reader, start=2):
        report.rows += 1
        if report.rows > MAX_ROWS:
            report.errors.append(RowError(index, "", _("At most %(max)d rows per file.") % {"max": MAX_ROWS}))
            break
        row = {(k or "").strip(): (v or "").strip() for k, v in raw_row.items()}
        _check_row(index, row, categories, groups, report)
    if not report.ok:
        return report
    for group in groups.values():
        try:
            services.validate_skus(group.spec_names, group.skus)
        except ValidationError as exc:
            report.errors.extend(RowError(group.first_row, "product_code", m) for m in exc.messages)
    if not report.ok:
        return report
    try:
        _write(actor, list(groups.values()), report, progress)
    except ValidationError as exc:
        report.errors.extend(RowError(0, "", m) for m in exc.messages)
        report.products = report.skus = 0
    return report


def _check_row(
    index: int, row: dict, categories: dict, groups: dict[str, _ProductRows], report: ImportReport
) -> None:
    errors_before = len(report.errors)

    def error(column: str, message: str) -> None:
        report.errors.append(RowError(index, column, message))

    for column in COLUMNS:
        if column.required and not row.get(column.name):
            error(column.name, _("Required."))

    def money(column: str) -> int | None:
        if not row.get(column):
            return None
        try:
            return parse_yuan(row[column])
        except MoneyFormatError as exc:
            error(column, str(exc))
            return None

    def whole(column: str) -> int:
        value = row.get(column) or "0"
        if not value.isdigit():
            error(column, _("“%(value)s” is not a whole number of 0 or more.") % {"value": value})
            return 0
        return int(value)

    retail, pmin, pmax = money("retail_price"), money("price_min"), money("price_max")
    stock, weight = whole("stock"), whole("weight_grams")
    category = None
    if row.get("category"):
        category = categories.get(row["category"])
        if category is None:
            error("category", _("Unknown category “%(name)s”.") % {"name": row["category"]})
    status = row.get("status") or ProductStatus.DRAFT
    if status not in ProductStatus.values:
        error("status", _("Use draft, on_sale or off_shelf."))
    spec_names = [row[n] for n in ("spec1_name", "spec2_name") if row.get(n)]
    spec_values = {}
    for n, v in (("spec1_name", "spec1_value"), ("spec2_name", "spec2_value")):
        if row.get(n):
            if not row.get(v):
                error(v, _("Give a value for “%(spec)s”.") % {"spec": row[n]})
            spec_values[row[n]] = row.get(v, "")
    if retail is not None:
        try:
            price_band.check_band(_("row %(row)d") % {"row": index}, retail, pmin, pmax)
        except ValidationError as exc:
            for message in exc.messages:
                error("retail_price", message)
    if len(report.errors) > errors_before:
        return
    code = row["product_code"]
    group = groups.get(code)
    if group is None:
        group = groups[code] = _ProductRows(
            code=code,
            title=row["title"],
            category=category,
            description=row.get("description", ""),
            spec_names=spec_names,
            status=status,
            first_row=index,
        )
    elif group.spec_names != spec_names or group.title != row["title"]:
        error(
            "product_code",
            _("Rows of product %(code)s must share the title and spec names of row %(row)d.")
            % {"code": code, "row": group.first_row},
        )
        return
    group.skus.append(
        services.SkuInput(
            spec_values=spec_values,
            retail_price=retail,
            price_min=pmin,
            price_max=pmax,
            stock=stock,
            barcode=row.get("barcode", ""),
            weight_grams=weight,
        )
    )


@transaction.atomic
def _write(actor: BrandStaff, groups: list[_ProductRows], report: ImportReport, progress) -> None:
    existing = {
        p.external_code: p
        for p in Product.objects.filter(brand_id=actor.brand_id, external_code__in=[g.code for g in groups])
    }
    for done, group in enumerate(groups, start=1):
        fields = {
            "title": group.title,
            "description": group.description,
            "category": group.category,
            "spec_names": group.spec_names,
        }
        product = existing.get(group.code)
        if product is None:
            product = services.create_product(actor=actor, skus=group.skus, **fields)
            Product.objects.filter(pk=product.pk).update(external_code=group.code)
        else:
            keys = {s.spec_key: s.pk for s in product.skus.filter(is_active=True)}
            for sku in group.skus:
                sku.sku_id = keys.get(services.Sku.make_spec_key(sku.spec_values))
            services.update_product(actor=actor, product_id=product.pk, skus=group.skus, **fields)
        if group.status != ProductStatus.DRAFT or product.status != ProductStatus.DRAFT:
            services.set_product_status(actor=actor, product_id=product.pk, status=group.status)
        report.products += 1
        report.skus += len(group.skus)
        if progress:
            progress(done, len(groups))
