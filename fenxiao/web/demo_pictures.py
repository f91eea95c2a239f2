"""Product pictures for the demo, drawn with Pillow at seed time (nothing downloaded): a studio
shot of the product's kind (tea tin, tea cake, teapot, cup, folded bedding, rolled towels, a
shirt), a close-up of its material and a flat-lay on a table — several per product, so the
product page's gallery has something to swipe."""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw, ImageFilter

SIZE = 800
Colour = tuple[int, int, int]

KIND_OF_CATEGORY = {
    "绿茶": "tin",
    "红茶": "tin",
    "乌龙茶": "cake",
    "茶具": "teapot",
    "床品": "bedding",
    "毛巾": "towels",
    "服饰": "shirt",
}


def _shade(colour: Colour, amount: int) -> Colour:
    return tuple(max(0, min(255, c + amount)) for c in colour)  # type: ignore[return-value]


def _backdrop(top: Colour, bottom: Colour) -> Image.Image:
    image = Image.new("RGB", (SIZE, SIZE), top)
    draw = ImageDraw.Draw(image)
    for y in range(SIZE):
        t = y / SIZE
        draw.line(
            [(0, y), (SIZE, y)], fill=tuple(int(a + (b - a) * t) for a, b in zip(top, bottom, strict=True))
        )
    return image


def _shadow(image: Image.Image, box: tuple[int, int, int, int]) -> None:
    layer = Image.new("L", image.size, 0)
    ImageDraw.Draw(layer).ellipse(box, fill=90)
    layer = layer.filter(ImageFilter.GaussianBlur(24))
    image.paste((60, 50, 40), mask=layer)


def _tin(draw: ImageDraw.ImageDraw, colour: Colour) -> None:
    draw.rounded_rectangle([250, 230, 550, 640], 26, fill=colour)
    draw.rectangle([250, 230, 290, 640], fill=_shade(colour, 30))
    draw.rounded_rectangle([238, 190, 562, 260], 18, fill=_shade(colour, -40))
    draw.rectangle([250, 360, 550, 500], fill=(246, 240, 226))
    draw.ellipse([360, 380, 440, 460], outline=colour, width=8)
    for i in range(3):
        draw.line([(300, 395 + i * 30), (345, 395 + i * 30)], fill=colour, width=5)


def _cake(draw: ImageDraw.ImageDraw, colour: Colour) -> None:
    draw.ellipse([170, 260, 630, 600], fill=(232, 222, 196))
    draw.ellipse([170, 240, 630, 580], fill=(244, 236, 214))
    draw.ellipse([330, 350, 470, 470], outline=colour, width=10)
    draw.rectangle([170, 400, 630, 416], fill=colour)


def _teapot(draw: ImageDraw.ImageDraw, colour: Colour) -> None:
    draw.ellipse([230, 300, 570, 620], fill=colour)
    draw.ellipse([260, 320, 360, 420], fill=_shade(colour, 40))
    draw.polygon([(560, 420), (680, 330), (690, 350), (580, 480)], fill=colour)
    draw.arc([150, 340, 290, 520], 90, 270, fill=colour, width=22)
    draw.rounded_rectangle([330, 270, 470, 312], 12, fill=_shade(colour, -30))
    draw.ellipse([380, 240, 420, 280], fill=_shade(colour, -30))
    draw.ellipse([560, 560, 700, 620], fill=(250, 250, 248))
    draw.rounded_rectangle([580, 500, 680, 590], 20, fill=(250, 250, 248))


def _bedding(draw: ImageDraw.ImageDraw, colour: Colour) -> None:
    for i, amount in enumerate((-30, 0, 25)):
        top = 470 - i * 110
        draw.rounded_rectangle([170 + i * 12, top, 630 - i * 12, top + 120], 30, fill=_shade(colour, amount))
        draw.line(
            [(200 + i * 12, top + 60), (600 - i * 12, top + 60)], fill=_shade(colour, amount - 25), width=3
        )
    draw.rounded_rectangle([420, 250, 560, 300], 10, fill=(250, 248, 240))


def _towels(draw: ImageDraw.ImageDraw, colour: Colour) -> None:
    for i, (x, y) in enumerate(((230, 430), (470, 430), (350, 260))):
        tone = _shade(colour, (i - 1) * 25)
        draw.ellipse([x - 120, y - 120, x + 120, y + 120], fill=tone)
        for r in range(100, 10, -22):
            draw.arc([x - r, y - r, x + r, y + r], 20, 320, fill=_shade(tone, -25), width=4)


def _shirt(draw: ImageDraw.ImageDraw, colour: Colour) -> None:
    body = [
        (270, 230),
        (340, 200),
        (400, 240),
        (460, 200),
        (530, 230),
        (640, 320),
        (580, 390),
        (540, 360),
        (540, 640),
        (260, 640),
        (260, 360),
        (220, 390),
        (160, 320),
    ]
    draw.polygon(body, fill=colour)
    draw.arc([340, 170, 460, 270], 20, 160, fill=_shade(colour, -40), width=8)
    draw.line([(400, 260), (400, 640)], fill=_shade(colour, -15), width=2)


DRAW = {
    "tin": _tin,
    "cake": _cake,
    "teapot": _teapot,
    "bedding": _bedding,
    "towels": _towels,
    "shirt": _shirt,
}


def _encode(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def studio(kind: str, colour: Colour) -> bytes:
    image = _backdrop((250, 248, 244), (226, 221, 212))
    _shadow(image, (170, 600, 630, 690))
    DRAW.get(kind, _tin)(ImageDraw.Draw(image), colour)
    return _encode(image)


def close_up(kind: str, colour: Colour, seed: int) -> bytes:
    """The material: tea leaves, glaze, or the weave of the cloth."""
    rng = random.Random(seed)
    image = Image.new("RGB", (SIZE, SIZE), _shade(colour, -20))
    draw = ImageDraw.Draw(image)
    if kind in ("tin", "cake"):
        leaf = (92, 110, 48) if kind == "tin" else (110, 70, 40)
        image.paste(_shade(leaf, -30), (0, 0, SIZE, SIZE))
        for _ in range(900):
            x, y, length = rng.randrange(SIZE), rng.randrange(SIZE), rng.randrange(18, 46)
            tone = _shade(leaf, rng.randrange(-30, 40))
            draw.ellipse([x, y, x + length, y + length // 3], fill=tone)
    elif kind == "teapot":
        for r in range(SIZE, 0, -6):
            draw.ellipse(
                [SIZE / 2 - r, SIZE / 2 - r, SIZE / 2 + r, SIZE / 2 + r],
                fill=_shade(colour, (r // 6) % 20 - 10),
            )
    else:
        for x in range(0, SIZE, 8):
            draw.line([(x, 0), (x, SIZE)], fill=_shade(colour, 12 if (x // 8) % 2 else -12), width=4)
        for y in range(0, SIZE, 8):
            draw.line([(0, y), (SIZE, y)], fill=_shade(colour, -18 if (y // 8) % 2 else 8), width=2)
    return _encode(image.filter(ImageFilter.GaussianBlur(0.8)))


def flat_lay(kind: str, colour: Colour) -> bytes:
    """The product on a wooden table beside a plant."""
    image = Image.new("RGB", (SIZE, SIZE), (176, 132, 92))
    draw = ImageDraw.Draw(image)
    for y in range(0, SIZE, 90):
        draw.line([(0, y), (SIZE, y + 10)], fill=(150, 108, 72), width=3)
    draw.ellipse([560, 40, 780, 260], fill=(70, 120, 70))
    draw.ellipse([600, 80, 740, 220], fill=(92, 150, 88))
    _shadow(image, (180, 620, 620, 700))
    DRAW.get(kind, _tin)(draw, colour)
    return _encode(image)


def pictures_for(category: str, colour: Colour, seed: int) -> list[bytes]:
    """Three pictures of one product: studio, close-up, flat-lay."""
    kind = KIND_OF_CATEGORY.get(category, "tin")
    return [studio(kind, colour), close_up(kind, colour, seed), flat_lay(kind, colour)]
