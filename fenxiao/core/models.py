"""Outbox events and entries, timers (the background layer's tables), and the append-only audit log."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class EntryStatus(models.TextChoices):
    QUEUED = "queued", "queued"
    RUNNING = "running", "running"
    DONE = "done", "done"
    DEAD = "dead", "dead"


class OutboxEntry(models.Model):
    """One piece of background work, written in the caller's transaction (the transactional
    outbox) and handed by the relay to the Tasks framework (``core.jobs``).  ``queued``: waiting
    for its ``run_at`` or for an earlier entry with its ``ordering_key``; ``running``: handed to
    a task backend under a lease (``locked_until``, ``attempts`` is the hand-over's token);
    ``done``; ``dead`` after ``max_attempts`` failures, listed at /platform/tasks/ for a retry."""

    name = models.CharField(max_length=100)
    payload = models.JSONField(default=dict)
    queue = models.CharField(max_length=30, default="default")
    priority = models.SmallIntegerField(default=0)
    status = models.CharField(max_length=10, choices=EntryStatus.choices, default=EntryStatus.QUEUED)
    run_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField(default=10)
    unique_key = models.CharField(max_length=200, null=True, blank=True)
    ordering_key = models.CharField(
        max_length=200, blank=True, default="", help_text="entries with one key run in id order"
    )
    locked_by = models.CharField(max_length=100, blank=True, default="")
    locked_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "outbox entries"
        indexes = [
            models.Index(fields=["status", "run_at"], name="outbox_due"),
            models.Index(fields=["ordering_key", "status"], name="outbox_ordering"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["unique_key"],
                condition=Q(status__in=["queued", "running"]),
                name="outbox_unique_key_while_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}#{self.pk} ({self.status})"


class OutboxEvent(models.Model):
    """A domain event written in the same transaction as the state change it describes."""

    topic = models.CharField(max_length=100)
    aggregate = models.CharField(max_length=100, blank=True, default="")
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["topic", "id"], name="event_topic"),
            models.Index(fields=["aggregate", "id"], name="event_aggregate"),
        ]

    def __str__(self) -> str:
        return f"{self.topic} {self.aggregate}"


class TimerState(models.Model):
    """When a periodic timer is next due; claimed with a conditional UPDATE so one worker runs it per period."""

    name = models.CharField(max_length=100, primary_key=True)
    next_run_at = models.DateTimeField()
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_run_by = models.CharField(max_length=100, blank=True, default="")
    runs = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")
    failed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name


class AuditCategory(models.TextChoices):
    STAFF = "staff", _("Staff action")
    MONEY = "money", _("Money movement")


class AuditRecord(models.Model):
    """One line of the audit log (``core.audit``): append-only, enforced by database triggers."""

    at = models.DateTimeField(_("when"), db_index=True)
    category = models.CharField(_("category"), max_length=10, choices=AuditCategory.choices)
    # A plain id, not a foreign key: deleting a person must never rewrite the log.
    actor_user_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    actor_label = models.CharField(_("who"), max_length=150, blank=True)
    brand_id = models.BigIntegerField(_("brand"), null=True, blank=True, db_index=True)
    action = models.CharField(_("action"), max_length=200)
    target = models.CharField(_("object"), max_length=200, blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("audit record")
        verbose_name_plural = _("audit log")
        ordering = ["-id"]
        indexes = [models.Index(fields=["category", "-id"], name="audit_category_recent")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_label or 'system'} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("Audit records are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Audit records are append-only.")
