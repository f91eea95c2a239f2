"""Share posters: a PNG made on the server with the product image, title, price, the
distributor's name and a QR code of the share link.  Chinese text is drawn with the Noto CJK
font from Debian's fonts-noto-cjk."""

from __future__ import annotations

import io
from pathlib import Path

import segno
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _
from PIL import Image, ImageDraw, ImageFont

from fenxiao.core.money import format_yuan

from .models import ShareLink

WIDTH, HEIGHT = 750, 1200
FONT_CANDIDATES = [
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
]


def cjk_font(size: int) -> ImageFont.FreeTypeFont:
    for path in FONT_CANDIDATES:
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    raise ImproperlyConfigured(
        "No CJK font found: install Debian's fonts-noto-cjk (apt-get install fonts-noto-cjk)."
    )


def _wrap(draw: ImageDraw.ImageDraw, text: str, font, width: int, max_lines: int = 2) -> list[str]:
    lines, current = [], ""
    for char in text:
        if draw.textlength(current + char, font=font) > width:
            lines.append(current)
            current = char
            if len(lines) == max_lines:
                return lines[:-1] + [lines[-1][:-1] + "…"]
        else:
            current += char
    return [*lines, current] if current else lines


def render_poster(link: ShareLink, url: str, *, price: int | None = None) -> bytes:
    """The poster for ``link`` pointing at ``url`` (the absolute share URL)."""
    poster = Image.new("RGB", (WIDTH, HEIGHT), (255, 255, 255))
    draw = ImageDraw.Draw(poster)
    product = link.product
    picture_box = (40, 40, WIDTH - 40, WIDTH - 40)
    image_field = None
    if product is not None:
        first = product.images.order_by("position", "id").first()
        image_field = first.image if first else None
    if image_field:
        with Image.open(image_field.path) as picture:
            picture = picture.convert("RGB")
            picture.thumbnail((picture_box[2] - picture_box[0], picture_box[3] - picture_box[1]))
            poster.paste(
                picture,
                (picture_box[0] + (picture_box[2] - picture_box[0] - picture.width) // 2, picture_box[1]),
            )
    else:
        draw.rectangle(picture_box, fill=(255, 236, 236))
        draw.text(
            (WIDTH // 2, WIDTH // 2 - 40), link.brand.name, font=cjk_font(64), fill=(200, 40, 40), anchor="mm"
        )
    title = product.title if product else link.brand.name
    y = WIDTH - 10
    for line in _wrap(draw, title, cjk_font(40), WIDTH - 80):
        draw.text((40, y), line, font=cjk_font(40), fill=(34, 34, 34))
        y += 54
    if price is not None:
        draw.text((40, y + 6), "¥" + format_yuan(price), font=cjk_font(48), fill=(228, 57, 60))
    owner = getattr(getattr(link.distributor, "distributor", None), "store_name", "") or str(link.distributor)
    draw.text(
        (40, HEIGHT - 170),
        _("Recommended by %(name)s") % {"name": owner},
        font=cjk_font(30),
        fill=(119, 119, 119),
    )
    draw.text((40, HEIGHT - 120), _("Scan the QR code to buy"), font=cjk_font(26), fill=(119, 119, 119))
    qr = segno.make(url, error="m")
    buffer = io.BytesIO()
    qr.save(buffer, kind="png", scale=6, border=2)
    buffer.seek(0)
    with Image.open(buffer) as code:
        code = code.convert("RGB").resize((240, 240), Image.NEAREST)
        poster.paste(code, (WIDTH - 40 - 240, HEIGHT - 40 - 240))
    out = io.BytesIO()
    poster.save(out, "PNG", optimize=True)
    return out.getvalue()
