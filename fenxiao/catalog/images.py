"""Image uploads: checked by content (never by file name), size- and pixel-limited, re-encoded,
and thumbnailed."""

from __future__ import annotations

import io

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

ALLOWED_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}
THUMBNAIL_SIZE = (400, 400)


def read_validated_image(upload: UploadedFile) -> tuple[bytes, str]:
    """The upload re-encoded as a clean image, and its extension; or a ValidationError saying why not."""
    max_bytes = settings.MAX_IMAGE_UPLOAD_BYTES
    if upload.size is not None and upload.size > max_bytes:
        raise ValidationError(
            _("The image is %(size)d KB; the limit is %(limit)d KB.")
            % {"size": upload.size // 1024, "limit": max_bytes // 1024}
        )
    raw = upload.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise ValidationError(_("The image is larger than %(limit)d KB.") % {"limit": max_bytes // 1024})
    try:
        with Image.open(io.BytesIO(raw)) as probe:
            image_format = probe.format
            width, height = probe.size
            if image_format not in ALLOWED_FORMATS:
                raise ValidationError(_("Upload a JPEG, PNG, WebP or GIF image."))
            if width * height > settings.MAX_IMAGE_PIXELS:
                raise ValidationError(
                    _("The image is %(w)d×%(h)d pixels; at most %(mp)d megapixels are accepted.")
                    % {"w": width, "h": height, "mp": settings.MAX_IMAGE_PIXELS // 1_000_000}
                )
            probe.verify()
        with Image.open(io.BytesIO(raw)) as image:
            image.load()
            clean = _reencode(image, image_format)
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ValidationError(_("This file is not a readable image.")) from exc
    return clean, ALLOWED_FORMATS[image_format]


def _reencode(image: Image.Image, image_format: str) -> bytes:
    """Write the pixels again: drops metadata and anything appended to the file."""
    out = io.BytesIO()
    if image_format == "JPEG":
        image.convert("RGB").save(out, "JPEG", quality=88, optimize=True)
    elif image_format == "GIF":
        image.save(out, "GIF")
    elif image_format == "WEBP":
        image.save(out, "WEBP", quality=88)
    else:
        image.save(out, "PNG", optimize=True)
    return out.getvalue()


def make_thumbnail(raw: bytes) -> bytes:
    with Image.open(io.BytesIO(raw)) as image:
        image = image.convert("RGB")
        image.thumbnail(THUMBNAIL_SIZE)
        out = io.BytesIO()
        image.save(out, "JPEG", quality=82, optimize=True)
        return out.getvalue()


def dimensions(raw: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(raw)) as image:
        return image.size


def image_files(upload: UploadedFile, stem: str) -> tuple[ContentFile, ContentFile, tuple[int, int]]:
    """(image, thumbnail, (width, height)), the files ready to assign to ImageFields."""
    raw, ext = read_validated_image(upload)
    return (
        ContentFile(raw, name=f"{stem}.{ext}"),
        ContentFile(make_thumbnail(raw), name=f"{stem}-thumb.jpg"),
        dimensions(raw),
    )
