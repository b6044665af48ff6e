"""Draw the demo catalog's product pictures with Pillow (simple illustrations, no downloads).

    .venv/bin/python tools/draw_demo_pictures.py     # rewrites catalog/demo_pictures/*.webp

The pictures are committed; ``manage.py seed_demo`` uploads them like staff would. Each is a
flat drawing of the product on a tinted background, 800×600 WebP, a few kilobytes.
"""

from __future__ import annotations

import colorsys
import hashlib
import sys
from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from catalog import demo  # noqa: E402

OUT = ROOT / "catalog" / "demo_pictures"
W, H = 1600, 1200  # drawn at twice the size, then scaled down (smooth edges)
SIZE = (800, 600)


def rgb(h: float, s: float, v: float) -> tuple[int, int, int]:
    r, g, b = colorsys.hsv_to_rgb(h % 1.0, s, v)
    return round(r * 255), round(g * 255), round(b * 255)


def hue_of(slug: str) -> float:
    return int(hashlib.sha256(slug.encode()).hexdigest()[:6], 16) / 0xFFFFFF


def bean(d: ImageDraw.ImageDraw, cx, cy, rx, ry, fill, line):
    d.ellipse([cx - rx, cy - ry, cx + rx, cy + ry], fill=fill)
    d.arc(
        [cx - rx * 0.35, cy - ry * 0.9, cx + rx * 0.35, cy + ry * 0.9],
        100,
        260,
        fill=line,
        width=14,
    )


def leaf(d: ImageDraw.ImageDraw, cx, cy, r, fill, vein):
    d.chord([cx - r, cy - r * 0.55, cx + r, cy + r * 1.45], 200, 340, fill=fill)
    d.chord([cx - r, cy - r * 1.45, cx + r, cy + r * 0.55], 20, 160, fill=fill)
    d.line([cx - r * 0.9, cy, cx + r * 0.9, cy], fill=vein, width=10)


def coffee(d, hue, index):
    bag = rgb(hue, 0.45, 0.55)
    d.polygon([(560, 300), (1040, 300), (1100, 1020), (500, 1020)], fill=bag)
    d.rectangle([560, 250, 1040, 330], fill=rgb(hue, 0.5, 0.4))
    d.rectangle([540, 560, 1060, 800], fill=(250, 244, 232))
    for i, (x, y) in enumerate([(720, 680), (880, 680)]):
        bean(d, x, y, 70, 95 - 10 * i, (92, 58, 33), (40, 24, 14))
    for x, y in [(330, 980), (1280, 940), (1350, 1060)]:
        bean(d, x, y, 55, 75, (110, 70, 40), (50, 30, 18))


def tea(d, hue, index):
    cup = rgb(hue, 0.25, 0.97)
    rim = rgb(hue, 0.55, 0.6)
    d.ellipse([380, 900, 1220, 1060], fill=rgb(hue, 0.3, 0.85))  # saucer
    d.chord([480, 440, 1120, 1000], 0, 180, fill=cup)  # bowl of the cup
    d.rectangle([480, 700, 1120, 720], fill=cup)
    d.ellipse([480, 640, 1120, 780], fill=rim)
    d.ellipse([520, 660, 1080, 760], fill=rgb(hue + 0.08, 0.7, 0.55))  # the tea
    d.arc([1060, 740, 1260, 920], 270, 90, fill=cup, width=38)  # handle
    for x in (660, 800, 940):
        d.arc([x - 40, 380, x + 40, 520], 90, 270, fill=(255, 255, 255), width=14)
        d.arc([x - 40, 260, x + 40, 400], 270, 90, fill=(255, 255, 255), width=14)
    leaf(d, 330, 420, 150, rgb(0.3, 0.55, 0.55), rgb(0.3, 0.6, 0.35))


def mug(d, hue, index):
    body = rgb(hue, 0.5, 0.75)
    shade = rgb(hue, 0.6, 0.55)
    tall = index % 3 == 1
    top, bottom = (330, 1000) if tall else (450, 980)
    width = 300 if tall else 400
    x0, x1 = 800 - width // 2, 800 + width // 2
    d.arc([x1 - 120, top + 120, x1 + 160, top + 420], 270, 90, fill=shade, width=48)
    d.rounded_rectangle([x0, top, x1, bottom], radius=50, fill=body)
    d.ellipse([x0, top - 50, x1, top + 50], fill=shade)
    d.ellipse([x0 + 25, top - 35, x1 - 25, top + 35], fill=(70, 42, 24))
    d.rectangle([x0, top + 180, x1, top + 240], fill=rgb(hue + 0.5, 0.35, 0.95))
    d.ellipse([560, bottom - 30, 1040, bottom + 40], fill=rgb(hue, 0.2, 0.7))


def gear(d, hue, index):
    metal = rgb(hue, 0.15, 0.6)
    accent = rgb(hue, 0.6, 0.6)
    match index % 7:
        case 0:  # dripper
            d.polygon([(520, 420), (1080, 420), (900, 820), (700, 820)], fill=accent)
            d.rectangle([620, 820, 980, 880], fill=accent)
            d.chord([560, 860, 1040, 1140], 180, 360, fill=(230, 230, 235))
        case 1:  # filters
            for i in range(5):
                off = i * 40
                d.polygon(
                    [
                        (500 + off, 460 + off),
                        (1000 + off, 460 + off),
                        (860 + off, 900 + off),
                        (640 + off, 900 + off),
                    ],
                    fill=(236, 224, 200),
                    outline=(180, 160, 130),
                )
        case 2:  # French press
            d.rectangle([600, 380, 1000, 1020], fill=(205, 225, 235), outline=metal, width=20)
            d.rectangle([600, 560, 1000, 1020], fill=(90, 55, 30))
            d.line([800, 200, 800, 380], fill=metal, width=24)
            d.ellipse([760, 160, 840, 240], fill=metal)
            d.arc([940, 460, 1160, 900], 270, 90, fill=metal, width=36)
        case 3:  # grinder
            d.rounded_rectangle([620, 480, 980, 1040], radius=40, fill=metal)
            d.rectangle([580, 440, 1020, 500], fill=accent)
            d.line([800, 440, 800, 300, 1060, 300], fill=(60, 60, 60), width=26)
            d.ellipse([1020, 260, 1120, 360], fill=(120, 70, 40))
        case 4:  # kettle
            d.chord([500, 480, 1100, 1080], 180, 360, fill=metal)
            d.rectangle([500, 780, 1100, 1000], fill=metal)
            d.line([560, 900, 360, 640, 300, 520], fill=metal, width=34)
            d.arc([620, 360, 980, 700], 180, 360, fill=(40, 40, 40), width=30)
        case 5:  # scale
            d.rounded_rectangle([420, 700, 1180, 960], radius=40, fill=(40, 40, 44))
            d.rectangle([520, 640, 1080, 700], fill=metal)
            d.rounded_rectangle([680, 780, 920, 880], radius=12, fill=rgb(hue, 0.5, 0.95))
        case _:  # cold brew bottle
            d.rounded_rectangle([620, 420, 980, 1060], radius=80, fill=(200, 220, 230))
            d.rectangle([700, 280, 900, 440], fill=(200, 220, 230))
            d.rectangle([690, 220, 910, 300], fill=accent)
            d.rounded_rectangle([640, 560, 960, 1040], radius=60, fill=(70, 40, 22))


DRAW = {"coffee": coffee, "tea": tea, "mugs": mug, "brewing": gear}


def picture(category: str, slug: str, index: int) -> Image.Image:
    hue = hue_of(slug)
    image = Image.new("RGB", (W, H), rgb(hue, 0.12, 0.97))
    d = ImageDraw.Draw(image)
    d.ellipse([200, 150, 1400, 1250], fill=rgb(hue, 0.2, 0.92))
    DRAW[category](d, hue, index)
    return image.resize(SIZE, Image.Resampling.LANCZOS)


def main() -> None:
    from django.utils.text import slugify

    OUT.mkdir(exist_ok=True)
    seen: dict[str, int] = {}
    for category, name, *_ in demo.PRODUCTS:
        index = seen[category] = seen.get(category, -1) + 1
        slug = slugify(name)
        picture(category, slug, index).save(OUT / f"{slug}.webp", "WEBP", quality=70, method=6)
    total = sum(p.stat().st_size for p in OUT.glob("*.webp"))
    print(f"{len(demo.PRODUCTS)} pictures in {OUT.relative_to(ROOT)}, {total / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
