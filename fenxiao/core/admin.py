from django.contrib import admin

from .models import AuditRecord


class ReadOnlyAdmin(admin.ModelAdmin):
    """For records that are history (ledger, payments, orders): platform staff read, never edit."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditRecord)
class AuditRecordAdmin(ReadOnlyAdmin):
    list_display = ("at", "category", "actor_label", "brand_id", "action", "target", "status_code")
    list_filter = ("category",)
    search_fields = ("actor_label", "action", "target")
