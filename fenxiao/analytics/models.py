"""The data cube: day rows per brand and dimension, kept by the worker from outbox events.

``DailyStat`` holds additive counters per (day, brand, dimension, key); dimension ``all`` with an
empty key is the brand's total.  Distinct counts (unique visitors, paying customers, repeat
buyers) cannot be added across days, so ``DailyVisitor`` and ``DailyCustomer`` keep one row per
person and day, and a range counts distinct people over them.  Week and month are sums of days.
Money is fen; days are business days in settings.TIME_ZONE.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from fenxiao.accounts.models import Brand


class Dim(models.TextChoices):
    ALL = "all", "all"
    PRODUCT = "product", "product"
    DISTRIBUTOR = "distributor", "distributor"
    CHANNEL = "channel", "channel"
    PROVINCE = "province", "province"


COUNTERS = (
    "visits",
    "shares",
    "orders",
    "gmv",
    "paid_orders",
    "paid_amount",
    "units",
    "refunds",
    "refund_amount",
    "commission_earned",
    "commission_paid",
    "new_members",
)


class DailyStat(models.Model):
    day = models.DateField()
    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    dim = models.CharField(max_length=12, choices=Dim.choices)
    key = models.CharField(max_length=40, blank=True)
    visits = models.BigIntegerField(default=0)
    shares = models.BigIntegerField(default=0)
    orders = models.BigIntegerField(default=0, help_text="orders placed")
    gmv = models.BigIntegerField(default=0, help_text="value of orders placed, fen")
    paid_orders = models.BigIntegerField(default=0)
    paid_amount = models.BigIntegerField(default=0, help_text="fen, on the day of payment")
    units = models.BigIntegerField(default=0, help_text="units paid for")
    refunds = models.BigIntegerField(default=0)
    refund_amount = models.BigIntegerField(default=0, help_text="fen, on the day of the refund")
    commission_earned = models.BigIntegerField(default=0)
    commission_paid = models.BigIntegerField(default=0, help_text="withdrawals paid out, fen")
    new_members = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["brand", "dim", "key", "day"], name="analytics_stat_unique"),
            models.CheckConstraint(condition=Q(dim__in=Dim.values), name="analytics_stat_dim_known"),
        ]
        indexes = [models.Index(fields=["dim", "day"], name="analytics_stat_dim_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.brand_id} {self.dim}={self.key}"


class DailyCustomer(models.Model):
    """One row per consumer, brand, attributed distributor (0 = none) and day."""

    day = models.DateField()
    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    distributor_id = models.BigIntegerField(default=0)
    consumer_id = models.BigIntegerField()
    orders = models.IntegerField(default=0)
    paid_orders = models.IntegerField(default=0)
    paid_amount = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["brand", "day", "distributor_id", "consumer_id"], name="analytics_customer_unique"
            )
        ]
        indexes = [models.Index(fields=["distributor_id", "day"], name="analytics_customer_dist")]

    def __str__(self) -> str:
        return f"{self.day} {self.brand_id} {self.consumer_id}"


class DailyVisitor(models.Model):
    """One row per visitor key (``u<user>``, ``s<session>`` or ``v<visit>``), brand, distributor and day."""

    day = models.DateField()
    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    distributor_id = models.BigIntegerField()
    visitor = models.CharField(max_length=48)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["brand", "day", "distributor_id", "visitor"], name="analytics_visitor_unique"
            )
        ]
        indexes = [models.Index(fields=["distributor_id", "day"], name="analytics_visitor_dist")]

    def __str__(self) -> str:
        return f"{self.day} {self.brand_id} {self.visitor}"


class Applied(models.Model):
    """Facts already counted (``event:<id>``, ``refund:<id>``): a redelivery is recognised and skipped."""

    key = models.CharField(max_length=40, unique=True)
    applied_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.key


class CubeState(models.Model):
    """A single row: events up to ``watermark`` are already inside the last rebuild."""

    watermark = models.BigIntegerField(default=0)
    rebuilt_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"watermark {self.watermark}"
