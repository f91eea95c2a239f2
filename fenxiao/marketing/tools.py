"""The built-in marketing tools; importing this module registers them (see ``plugins``)."""

from . import coupons, flash, groups, promotions  # noqa: F401
