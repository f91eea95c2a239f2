from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from fenxiao.core.form_fields import PercentField

from . import services
from .models import Brand, BrandStaff, BrandStatus, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["-id"]
    list_display = ["id", "phone", "email", "display_name", "is_staff", "is_active", "date_joined"]
    search_fields = ["phone", "email", "display_name"]
    list_filter = ["is_staff", "is_active"]
    fieldsets = (
        (None, {"fields": ("phone", "email", "display_name", "password")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("phone", "email", "password1", "password2")}),)


class BrandStaffInline(admin.TabularInline):
    model = BrandStaff
    extra = 0
    autocomplete_fields = ["user"]


class BrandAdminForm(forms.ModelForm):
    """The platform fee typed in percent (stored in basis points, at most 30%)."""

    platform_fee_bps = PercentField(
        label=_("Platform fee (%)"), max_percent=30, help_text=_("Share of each order's goods, e.g. 2")
    )

    class Meta:
        model = Brand
        fields = ["platform_fee_bps"]  # the admin adds the others


@admin.register(Brand)
class BrandAdmin(admin.ModelAdmin):
    form = BrandAdminForm
    list_display = ["id", "name", "slug", "status", "company_name", "applied_by", "created_at"]
    list_filter = ["status"]
    search_fields = ["name", "slug", "company_name"]
    readonly_fields = ["status", "reviewed_at", "applied_by", "created_at"]
    inlines = [BrandStaffInline]
    actions = ["approve", "reject"]

    @admin.action(description=_("Approve selected applications"))
    def approve(self, request, queryset):
        for brand in queryset.filter(status=BrandStatus.PENDING):
            services.approve_brand(brand, request.user)
            self.message_user(request, _("Approved %(brand)s.") % {"brand": brand}, messages.SUCCESS)

    @admin.action(description=_("Reject selected applications (uses the review note)"))
    def reject(self, request, queryset):
        for brand in queryset.filter(status=BrandStatus.PENDING):
            try:
                services.reject_brand(
                    brand, request.user, brand.review_note or str(_("Rejected by platform staff."))
                )
            except ValidationError as exc:
                self.message_user(request, " ".join(exc.messages), messages.ERROR)
            else:
                self.message_user(request, _("Rejected %(brand)s.") % {"brand": brand}, messages.WARNING)


@admin.register(BrandStaff)
class BrandStaffAdmin(admin.ModelAdmin):
    list_display = ["brand", "user", "role", "created_at"]
    list_filter = ["role", "brand"]
    search_fields = ["user__phone", "user__email", "brand__name"]
    autocomplete_fields = ["user", "brand"]
