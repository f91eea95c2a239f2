from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LedgerConfig(AppConfig):
    name = "fenxiao.ledger"
    label = "ledger"
    verbose_name = _("Ledger")

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from fenxiao.payments import purposes

        from .models import JournalEntry
        from .payouts import BrandPayouts

        purposes.register(BrandPayouts())

        post_save.connect(_audit_entry, sender=JournalEntry, dispatch_uid="ledger.audit_entry")


def _audit_entry(sender, instance, created: bool, **kwargs) -> None:
    """Every journal entry also lands in the audit log, in the posting's transaction."""
    if not created:
        return
    from fenxiao.core.audit import record
    from fenxiao.core.models import AuditCategory

    record(
        AuditCategory.MONEY,
        f"ledger.{instance.kind}",
        target=instance.reference,
        detail={"entry_id": instance.pk, "memo": instance.memo, "idempotency_key": instance.idempotency_key},
    )
