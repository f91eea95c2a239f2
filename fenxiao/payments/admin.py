from django.contrib import admin

from fenxiao.core.admin import ReadOnlyAdmin as ReadOnly

from .models import NotificationLog, Payment, Refund


class RefundInline(admin.TabularInline):
    model = Refund
    extra = 0
    can_delete = False
    readonly_fields = [
        "out_refund_no",
        "amount",
        "status",
        "reason",
        "reference",
        "created_at",
        "finished_at",
    ]
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Payment)
class PaymentAdmin(ReadOnly):
    list_display = [
        "out_trade_no",
        "payer",
        "amount",
        "refunded_amount",
        "status",
        "gateway",
        "reference",
        "created_at",
        "paid_at",
    ]
    list_filter = ["status", "gateway"]
    search_fields = ["out_trade_no", "reference", "provider_transaction_id", "payer__phone"]
    inlines = [RefundInline]


@admin.register(Refund)
class RefundAdmin(ReadOnly):
    list_display = ["out_refund_no", "payment", "amount", "status", "reason", "created_at"]
    list_filter = ["status"]
    search_fields = ["out_refund_no", "payment__out_trade_no", "reference"]


@admin.register(NotificationLog)
class NotificationLogAdmin(ReadOnly):
    list_display = ["received_at", "gateway", "notification_id", "verified", "outcome"]
    list_filter = ["gateway", "verified"]
    search_fields = ["notification_id", "outcome"]
