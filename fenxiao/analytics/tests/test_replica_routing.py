"""The data cube's reads go to the read replica when one is configured (``core.replica``); writes
and every other read stay on the primary."""

from __future__ import annotations

import warnings

import pytest
from django.test import override_settings

from fenxiao.analytics.models import DailyStat
from fenxiao.core import replica
from fenxiao.core.replica import ReplicaRouter, replica_reads
from fenxiao.trade.models import Order

from .test_dashboards import world  # noqa: F401  (fixture)

REPLICA_DATABASES = {"default": {}, "replica": {}}


def test_router_sends_reads_inside_the_block_to_the_replica_only_when_one_exists():
    router = ReplicaRouter()
    assert router.db_for_read(DailyStat) is None  # no replica configured here
    with replica_reads():
        assert router.db_for_read(DailyStat) is None
    with warnings.catch_warnings():  # only the router reads DATABASES here; nothing connects
        warnings.simplefilter("ignore", UserWarning)
        _check_with_replica(router)


def _check_with_replica(router: ReplicaRouter) -> None:
    with override_settings(DATABASES=REPLICA_DATABASES):
        assert router.db_for_read(Order) is None  # outside the block: the primary
        with replica_reads():
            assert router.db_for_read(DailyStat) == "replica"
            assert router.db_for_read(Order) == "replica"
            assert router.db_for_write(DailyStat) == "default"  # writes never
        assert router.db_for_read(DailyStat) is None
        assert router.allow_migrate("replica", "analytics") is False
        assert router.allow_migrate("default", "analytics") is True


class SpyRouter:
    """Records, for each read, whether it ran inside ``replica_reads``."""

    reads: list[tuple[str, bool]] = []

    def db_for_read(self, model, **hints):
        SpyRouter.reads.append((model._meta.label, replica._reading_from_replica.get()))
        return None


@pytest.mark.django_db
@pytest.mark.parametrize("export", [False, True])
def test_dashboard_and_export_read_inside_the_replica_block(client, world, export):  # noqa: F811
    owner = world["a"]["owner"]
    client.force_login(owner.user)
    url = f"/console/b/{owner.brand_id}/analytics/" + ("export/periods/csv/" if export else "")
    SpyRouter.reads = []
    with override_settings(DATABASE_ROUTERS=[SpyRouter()]):
        answer = client.get(url)
    assert answer.status_code == 200
    cube_reads = [inside for label, inside in SpyRouter.reads if label.startswith("analytics.")]
    assert cube_reads and all(cube_reads)
