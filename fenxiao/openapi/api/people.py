"""After-sales and members: built on the after-sales and CRM apps' services (see docs/api.md)."""

from __future__ import annotations

from ninja import Router

router = Router()
