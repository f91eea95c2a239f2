"""Brand console: members (list, filters, detail with timeline, bulk tags, export), levels and
points rules, segments.  Every view is guarded by ``brand_console`` and reads only its brand."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import MinValueValidator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from fenxiao.accounts.decorators import brand_console
from fenxiao.accounts.roles import Perm
from fenxiao.core.form_fields import PercentField, YuanField
from fenxiao.core.money import MoneyFormatError, parse_yuan

from . import exports, members, segments, selectors
from .models import LoyaltySettings, Member, Segment


class FilterForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Phone, e-mail or name"), required=False, max_length=60)
    level = forms.IntegerField(label=gettext_lazy("Level"), required=False)
    tag = forms.IntegerField(label=gettext_lazy("Tag"), required=False)
    min_paid = forms.CharField(label=gettext_lazy("Spent at least (yuan)"), required=False, max_length=12)
    not_ordered_days = forms.IntegerField(
        label=gettext_lazy("No order for (days)"), required=False, min_value=0, max_value=3650
    )
    ordered_within_days = forms.IntegerField(
        label=gettext_lazy("Ordered within (days)"), required=False, min_value=0, max_value=3650
    )
    distributor = forms.IntegerField(
        label=gettext_lazy("Source distributor (id)"), required=False, min_value=1
    )
    segment = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def clean_min_paid(self) -> int | None:
        raw = self.cleaned_data["min_paid"]
        if not raw:
            return None
        try:
            return parse_yuan(raw)
        except MoneyFormatError as exc:
            raise ValidationError(str(exc)) from exc

    def filters(self) -> dict:
        data = self.cleaned_data
        return {
            k: v
            for k, v in {
                "q": data.get("q"),
                "level_ids": [data["level"]] if data.get("level") else None,
                "tag_ids": [data["tag"]] if data.get("tag") else None,
                "min_paid": data.get("min_paid"),
                "not_ordered_days": data.get("not_ordered_days"),
                "ordered_within_days": data.get("ordered_within_days"),
                "distributor_id": data.get("distributor"),
            }.items()
            if v not in (None, "", [])
        }


def _filtered(request: HttpRequest, brand_id: int) -> tuple[FilterForm, dict, Segment | None]:
    form = FilterForm(request.GET or None)
    filters: dict = {}
    segment = None
    if form.is_bound and form.is_valid():
        filters = form.filters()
        if form.cleaned_data.get("segment"):
            segment = selectors.segments_of(brand_id).filter(pk=form.cleaned_data["segment"]).first()
            if segment is None:
                raise Http404
    return form, filters, segment


@brand_console(Perm.MEMBERS_VIEW)
def member_list(request: HttpRequest, brand_id: int) -> HttpResponse:
    form, filters, segment = _filtered(request, brand_id)
    rows, cursor = selectors.member_page(
        brand_id, filters, segment=segment, after=request.GET.get("after", "")
    )
    query = request.GET.copy()
    query.pop("after", None)
    return render(
        request,
        "crm/console/members.html",
        {
            "brand": request.brand,
            "form": form,
            "members": rows,
            "cursor": cursor,
            "query": query.urlencode(),
            "levels": selectors.levels_of(brand_id),
            "tags": selectors.tags_of(brand_id),
            "segment": segment,
        },
        status=400 if form.errors else 200,
    )


@brand_console(Perm.MEMBERS_VIEW)
@require_POST
def member_bulk_tag(request: HttpRequest, brand_id: int) -> HttpResponse:
    ids = [int(v) for v in request.POST.getlist("member") if v.isdigit()]
    try:
        count = members.tag_members(
            actor=request.brand_staff, member_ids=ids, tag_name=request.POST.get("tag", "")
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("console:crm_members", brand_id)
    messages.success(request, _("Tagged %(count)d members.") % {"count": count})
    return redirect("console:crm_members", brand_id)


@brand_console(Perm.MEMBERS_VIEW)
def member_export(request: HttpRequest, brand_id: int) -> HttpResponse:
    form, filters, segment = _filtered(request, brand_id)
    if form.errors:
        return HttpResponse(_("Fix the filters first."), status=400)
    qs = segments.filter_members(
        segments.members_in_segment(segment) if segment else selectors.brand_members(brand_id), filters
    )
    if request.GET.get("format") == "xlsx":
        return exports.xlsx_response(qs)
    return exports.csv_response(qs)


class NotesForm(forms.Form):
    notes = forms.CharField(
        label=gettext_lazy("Notes"), widget=forms.Textarea, required=False, max_length=2000
    )


@brand_console(Perm.MEMBERS_VIEW)
def member_detail(request: HttpRequest, brand_id: int, member_id: int) -> HttpResponse:
    try:
        member = selectors.member_of_brand(brand_id, member_id)
    except Member.DoesNotExist as exc:
        raise Http404 from exc
    form = NotesForm(request.POST or None, initial={"notes": member.notes})
    if request.method == "POST" and form.is_valid():
        members.set_notes(actor=request.brand_staff, member_id=member.pk, notes=form.cleaned_data["notes"])
        messages.success(request, _("Notes saved."))
        return redirect("console:crm_member", brand_id, member.pk)
    return render(
        request,
        "crm/console/member.html",
        {
            "brand": request.brand,
            "member": member,
            "form": form,
            "bound": selectors.bound_distributor(member),
            "timeline": selectors.timeline(member),
        },
        status=400 if form.errors else 200,
    )


class LevelForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=30)
    growth_threshold = forms.IntegerField(label=gettext_lazy("Reached at growth value"), min_value=0)
    discount_bps = PercentField(
        label=gettext_lazy("Member discount (%)"), initial=0, help_text=gettext_lazy("e.g. 5")
    )
    free_shipping = forms.BooleanField(label=gettext_lazy("Free shipping"), required=False)


class LoyaltyForm(forms.ModelForm):
    point_value_fen = YuanField(
        label=gettext_lazy("Value of one point (¥)"),
        help_text=gettext_lazy("e.g. 0.01"),
        validators=[MinValueValidator(1, message=gettext_lazy("A point is worth at least ¥0.01."))],
    )
    redeem_cap_bps = PercentField(label=gettext_lazy("Points may pay at most (% of the goods)"))

    class Meta:
        model = LoyaltySettings
        fields = ["points_per_yuan", "point_value_fen", "redeem_cap_bps", "expiry_years"]


@brand_console(Perm.MARKETING_MANAGE)
def levels(request: HttpRequest, brand_id: int) -> HttpResponse:
    loyalty = LoyaltySettings.objects.filter(brand_id=brand_id).first() or LoyaltySettings(brand_id=brand_id)
    level_form = LevelForm(request.POST if request.POST.get("form") == "level" else None)
    loyalty_form = LoyaltyForm(
        request.POST if request.POST.get("form") == "loyalty" else None, instance=loyalty
    )
    if request.method == "POST":
        try:
            if level_form.is_bound and level_form.is_valid():
                members.add_level(actor=request.brand_staff, **level_form.cleaned_data)
                messages.success(request, _("Level added."))
                return redirect("console:crm_levels", brand_id)
            if loyalty_form.is_bound and loyalty_form.is_valid():
                loyalty_form.instance.brand_id = brand_id
                loyalty_form.save()
                messages.success(request, _("Points rules saved."))
                return redirect("console:crm_levels", brand_id)
        except ValidationError as exc:
            level_form.add_error(None, exc)
        except PermissionDenied:
            raise
    return render(
        request,
        "crm/console/levels.html",
        {
            "brand": request.brand,
            "levels": selectors.levels_of(brand_id),
            "level_form": level_form,
            "loyalty_form": loyalty_form,
        },
        status=400 if (level_form.errors or loyalty_form.errors) else 200,
    )


@brand_console(Perm.MEMBERS_VIEW)
def segment_list(request: HttpRequest, brand_id: int) -> HttpResponse:
    error = ""
    if request.method == "POST":
        form = FilterForm(request.POST)
        if form.is_valid():
            try:
                segment = segments.save_segment(
                    actor=request.brand_staff, name=request.POST.get("name", ""), filters=form.filters()
                )
            except ValidationError as exc:
                error = " ".join(exc.messages)
            else:
                messages.success(request, _("Segment saved."))
                return redirect(f"{request.path}?saved={segment.pk}")
        else:
            error = _("Fix the filters first.")
    rows = [
        (segment, segments.members_in_segment(segment).count())
        for segment in selectors.segments_of(brand_id)[:50]
    ]
    return render(
        request,
        "crm/console/segments.html",
        {"brand": request.brand, "segments": rows, "error": error, "form": FilterForm()},
        status=400 if error else 200,
    )
