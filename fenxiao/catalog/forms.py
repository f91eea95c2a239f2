"""Console forms.  Prices are typed in yuan and stored in fen."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from fenxiao.core.form_fields import YuanField

from .models import Category, Product, ProductStatus
from .services import SkuInput


class ProductForm(forms.ModelForm):
    spec1_name = forms.CharField(
        label=_("Spec 1 name"), max_length=20, required=False, help_text=_("e.g. 颜色 (colour)")
    )
    spec2_name = forms.CharField(
        label=_("Spec 2 name"), max_length=20, required=False, help_text=_("e.g. 尺码 (size)")
    )

    class Meta:
        model = Product
        fields = ["title", "subtitle", "category", "description", "distribution_enabled"]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.select_related("parent").order_by(
            "parent_id", "position", "id"
        )
        if self.instance.pk:
            names = list(self.instance.spec_names or [])
            self.fields["spec1_name"].initial = names[0] if names else ""
            self.fields["spec2_name"].initial = names[1] if len(names) > 1 else ""

    @property
    def spec_names(self) -> list[str]:
        return [
            n for n in (self.cleaned_data.get("spec1_name", ""), self.cleaned_data.get("spec2_name", "")) if n
        ]


class SkuRowForm(forms.Form):
    sku_id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    spec1 = forms.CharField(label=_("Spec 1"), max_length=40, required=False)
    spec2 = forms.CharField(label=_("Spec 2"), max_length=40, required=False)
    barcode = forms.CharField(label=_("Barcode"), max_length=40, required=False)
    weight_grams = forms.IntegerField(label=_("Weight (g)"), min_value=0, required=False)
    stock = forms.IntegerField(label=_("Stock"), min_value=0, required=False)
    retail_price = YuanField(label=_("Retail price (¥)"), required=False)
    price_min = YuanField(label=_("Lowest distributor price (¥)"), required=False)
    price_max = YuanField(label=_("Highest distributor price (¥)"), required=False)

    def is_blank(self) -> bool:
        data = self.cleaned_data
        return (
            not data.get("sku_id")
            and data.get("retail_price") is None
            and not data.get("spec1")
            and not data.get("spec2")
        )

    def clean(self) -> dict:
        data = super().clean()
        if not self.errors and not self.is_blank() and data.get("retail_price") is None:
            self.add_error("retail_price", _("Give the retail price."))
        return data

    def to_input(self, spec_names: list[str]) -> SkuInput:
        data = self.cleaned_data
        values = [data.get("spec1", "").strip(), data.get("spec2", "").strip()]
        return SkuInput(
            spec_values={name: values[i] for i, name in enumerate(spec_names)},
            retail_price=data["retail_price"],
            price_min=data.get("price_min"),
            price_max=data.get("price_max"),
            stock=data.get("stock") or 0,
            barcode=data.get("barcode") or "",
            weight_grams=data.get("weight_grams") or 0,
            sku_id=data.get("sku_id"),
        )


SkuFormSet = forms.formset_factory(SkuRowForm, extra=0, max_num=200, absolute_max=200)


def sku_initial(product: Product | None) -> list[dict]:
    if product is None:
        return []
    names = list(product.spec_names or [])
    rows = []
    for sku in product.skus.filter(is_active=True).order_by("id"):
        values = sku.spec_values or {}
        rows.append(
            {
                "sku_id": sku.pk,
                "spec1": values.get(names[0], "") if names else "",
                "spec2": values.get(names[1], "") if len(names) > 1 else "",
                "barcode": sku.barcode,
                "weight_grams": sku.weight_grams,
                "stock": sku.stock,
                "retail_price": sku.retail_price,
                "price_min": sku.price_min,
                "price_max": sku.price_max,
            }
        )
    return rows


class ProductFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All statuses")), *ProductStatus.choices]
    )
    category = forms.ModelChoiceField(
        label=_("Category"), required=False, queryset=Category.objects.all(), empty_label=_("All categories")
    )


class ImageUploadForm(forms.Form):
    image = forms.FileField(label=_("Image"))


class ImportForm(forms.Form):
    file = forms.FileField(label=_("CSV file"))
