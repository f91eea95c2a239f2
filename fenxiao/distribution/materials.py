"""The material library and store decoration (writes).

A brand's staff with the distribution permission keep the brand's materials (copy text and
pictures about one of the brand's products or a campaign); a distributor dresses its own
micro-store (banner, headline, featured goods, text sections).  Each function is one transaction;
pictures are validated and re-encoded like product images (``catalog.images``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from fenxiao.accounts.models import BrandStaff
from fenxiao.accounts.roles import Perm
from fenxiao.catalog.images import read_validated_image
from fenxiao.catalog.models import Product

from .models import Material, MaterialImage, StoreDecoration, StoreSection, StoreSkuPrice

MAX_MATERIAL_IMAGES = 9
MAX_SECTIONS = 6


def _require(actor: BrandStaff) -> None:
    if not actor.can(Perm.DISTRIBUTION_MANAGE):
        raise PermissionDenied(
            _("Your role (%(role)s) may not do this.") % {"role": actor.get_role_display()}
        )


def _clean_images(uploads: Sequence[UploadedFile], stem: str) -> list:
    from django.core.files.base import ContentFile

    files = []
    for index, upload in enumerate(uploads):
        raw, ext = read_validated_image(upload)
        files.append(ContentFile(raw, name=f"{stem}-{index}.{ext}"))
    return files


@transaction.atomic
def save_material(
    *,
    actor: BrandStaff,
    text: str,
    product_id: int | None = None,
    campaign: str = "",
    images: Sequence[UploadedFile] = (),
    remove_image_ids: Iterable[int] = (),
    material_id: int | None = None,
) -> Material:
    """Create (``material_id`` None) or change one of the actor's brand's materials."""
    _require(actor)
    text = text.strip()
    if not text:
        raise ValidationError(_("Write the copy text distributors will post."))
    if len(text) > 1000:
        raise ValidationError(_("The copy text is at most 1000 characters."))
    if product_id is not None and not Product.objects.filter(pk=product_id, brand_id=actor.brand_id).exists():
        raise ValidationError(_("Choose one of your own products."))
    if material_id is None:
        material = Material(brand_id=actor.brand_id)
    else:
        material = (
            Material.objects.select_for_update().filter(pk=material_id, brand_id=actor.brand_id).first()
        )
        if material is None:
            raise Material.DoesNotExist(_("No such material in this brand."))
        material.images.filter(pk__in=list(remove_image_ids)).delete()
    kept = material.images.count() if material.pk else 0
    if kept + len(images) > MAX_MATERIAL_IMAGES:
        raise ValidationError(_("At most %(n)d pictures per material.") % {"n": MAX_MATERIAL_IMAGES})
    files = _clean_images(images, f"b{actor.brand_id}")
    material.product_id, material.campaign, material.text = product_id, campaign.strip()[:60], text
    material.save()
    for position, file in enumerate(files, start=kept):
        MaterialImage.objects.create(material=material, image=file, position=position)
    return material


@transaction.atomic
def delete_material(*, actor: BrandStaff, material_id: int) -> None:
    _require(actor)
    deleted, _rows = Material.objects.filter(pk=material_id, brand_id=actor.brand_id).delete()
    if not deleted:
        raise Material.DoesNotExist(_("No such material in this brand."))


@transaction.atomic
def decorate_store(
    *,
    distributor,
    headline: str = "",
    banner: UploadedFile | None = None,
    remove_banner: bool = False,
    featured_ids: Iterable[int] = (),
    sections: Sequence[tuple[str, str]] = (),
) -> StoreDecoration:
    """The distributor's micro-store decoration: featured goods only among the goods it picked;
    sections (title, text) replace the old ones, in order."""
    if not hasattr(distributor, "distributor"):
        raise ValidationError(_("Open your micro-store first."))
    featured_ids = {int(pk) for pk in featured_ids}
    picked = set(
        StoreSkuPrice.objects.filter(distributor=distributor, sku__product_id__in=featured_ids).values_list(
            "sku__product_id", flat=True
        )
    )
    if featured_ids - picked:
        raise ValidationError(_("Feature only goods you picked into your store."))
    rows = [(title.strip(), body.strip()) for title, body in sections if title.strip() or body.strip()]
    if len(rows) > MAX_SECTIONS:
        raise ValidationError(_("At most %(n)d sections.") % {"n": MAX_SECTIONS})
    for title, body in rows:
        if not title or not body:
            raise ValidationError(_("Each section needs a title and a text."))
        if len(title) > 60 or len(body) > 500:
            raise ValidationError(_("A section title is at most 60 characters and its text 500."))
    banner_file = _clean_images([banner], f"d{distributor.pk}-banner")[0] if banner else None
    decoration, _created = StoreDecoration.objects.select_for_update().get_or_create(distributor=distributor)
    decoration.headline = headline.strip()[:60]
    if remove_banner:
        decoration.banner = ""
    if banner_file is not None:
        decoration.banner.save(banner_file.name, banner_file, save=False)
    decoration.save()
    decoration.featured.set(featured_ids)
    StoreSection.objects.filter(distributor=distributor).delete()
    StoreSection.objects.bulk_create(
        [
            StoreSection(distributor=distributor, title=title, body=body, position=index)
            for index, (title, body) in enumerate(rows)
        ]
    )
    return decoration
