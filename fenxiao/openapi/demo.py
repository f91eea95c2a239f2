"""Demo data for the open platform: an API app with every scope for the first approved brand,
with a fixed, published demo key (never do this for a real app)."""

from __future__ import annotations

from collections.abc import Callable

from fenxiao.accounts.models import Brand, BrandStaff, BrandStatus, User
from fenxiao.accounts.roles import BrandRole
from fenxiao.core import clock
from fenxiao.core.demo_url import demo_base_url

from . import keys, scopes
from .models import ApiApp

DEMO_KEY = "fxk_0000000de310_demo-key-for-the-local-demo-only"


def seed(stdout: Callable[[str], None] = print) -> ApiApp | None:
    brand = Brand.objects.filter(status=BrandStatus.APPROVED).order_by("id").first()
    owner = BrandStaff.objects.filter(brand=brand, role=BrandRole.OWNER).select_related("user").first()
    if brand is None or owner is None:
        stdout("open platform: no approved brand with an owner; skipped")
        return None
    prefix = keys.prefix_of(DEMO_KEY)
    app = ApiApp.objects.filter(key_prefix=prefix).first()
    if app is None:
        service_user = User(
            email=f"api-{prefix}@apps.fenxiao.invalid", display_name="API: 演示 ERP", is_active=False
        )
        service_user.set_unusable_password()
        service_user.save()
        app = ApiApp.objects.create(
            brand=brand,
            name="演示 ERP",
            scopes=list(scopes.ALL_SCOPES),
            rate_limit_per_minute=600,
            key_prefix=prefix,
            key_hash=keys.hash_key(DEMO_KEY),
            service_user=service_user,
            created_by=owner.user,
            created_at=clock.now(),
        )
    stdout(
        f"open platform: API app “{app.name}” of {brand.name}: "
        f'curl -H "Authorization: Bearer {DEMO_KEY}" {demo_base_url()}/api/v1/orders'
    )
    return app
