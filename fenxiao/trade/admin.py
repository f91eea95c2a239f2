from django.contrib import admin

from fenxiao.core.admin import ReadOnlyAdmin

from .models import Order, OrderLine, OrderTransition, Shipment, ShippingRule


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    can_delete = False
    readonly_fields = [
        "title",
        "spec_label",
        "unit_price",
        "quantity",
        "discount",
        "paid_amount",
        "shipped_quantity",
    ]
    fields = readonly_fields


class TransitionInline(admin.TabularInline):
    model = OrderTransition
    extra = 0
    can_delete = False
    readonly_fields = ["from_status", "to_status", "actor", "actor_label", "reason", "at"]
    fields = readonly_fields


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = [
        "order_no",
        "brand",
        "consumer",
        "status",
        "paid_amount",
        "refunded_amount",
        "created_at",
        "settled_at",
    ]
    list_filter = ["status", "brand"]
    search_fields = ["order_no", "consumer__phone"]
    inlines = [OrderLineInline, TransitionInline]


@admin.register(ShippingRule)
class ShippingRuleAdmin(admin.ModelAdmin):
    list_display = ["brand", "flat_fee", "free_over"]


@admin.register(Shipment)
class ShipmentAdmin(admin.ModelAdmin):
    list_display = ["order", "carrier", "tracking_no", "shipped_at"]
    search_fields = ["tracking_no", "order__order_no"]
