from django.contrib import admin

from fenxiao.core.admin import ReadOnlyAdmin

from .models import JournalEntry, JournalLine, LedgerAccount


@admin.register(LedgerAccount)
class LedgerAccountAdmin(ReadOnlyAdmin):
    list_display = ["id", "code", "brand", "user", "balance", "sign_rule"]
    list_filter = ["code"]
    search_fields = ["brand__name", "user__phone"]


class JournalLineInline(admin.TabularInline):
    model = JournalLine
    extra = 0
    can_delete = False
    readonly_fields = ["account", "amount"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(JournalEntry)
class JournalEntryAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "reference", "created_at", "memo"]
    list_filter = ["kind"]
    search_fields = ["reference", "idempotency_key"]
    inlines = [JournalLineInline]
