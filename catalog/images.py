"""Product pictures: check an upload, and make the resized copies the shop serves.

Staff upload one or more pictures per product in the admin (``ProductImage``). Each upload
is opened and verified by Pillow before it is stored, then cut to the shop's 4:3 frame and
saved as WebP in a few widths, through Django's storage API (``default_storage``): the
default keeps files under ``MEDIA_ROOT``; a deployment can point ``STORAGES["default"]`` at
object storage and nothing here changes.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from PIL import Image, ImageOps, UnidentifiedImageError

ASPECT = (4, 3)  # every rendition is cut to this frame, so cards line up and nothing jumps
# kind → the widths made (the first is the default src); a source narrower than a width
# gets no copy of that width: pictures are never enlarged
WIDTHS = {"thumb": (320, 640), "large": (640, 1280)}
SIZES = {
    "thumb": "(max-width: 40rem) 100vw, 16rem",
    "large": "(max-width: 48rem) 100vw, 24rem",
}
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}
WEBP_QUALITY = 80
MAX_PIXELS = 40_000_000  # a bigger picture is refused before it is decoded


def max_upload_bytes() -> int:
    return settings.SHOP_IMAGE_MAX_BYTES


def check_upload(upload) -> None:
    """Refuse anything that is not a picture Pillow can read, or is too big."""
    limit = max_upload_bytes()
    if upload.size > limit:
        raise ValidationError(
            f"That file is {filesizeformat(upload.size)}; pictures can be at most "
            f"{filesizeformat(limit)}.",
            code="too_big",
        )
    upload.seek(0)
    try:
        with Image.open(upload) as picture:
            if picture.format not in ACCEPTED_FORMATS:
                raise ValidationError(
                    "Upload a JPEG, PNG, WebP or GIF picture.", code="unsupported_format"
                )
            if picture.width * picture.height > MAX_PIXELS:
                raise ValidationError("That picture has too many pixels.", code="too_many_pixels")
            picture.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as error:
        raise ValidationError(
            "That file is not a picture we can read.", code="not_an_image"
        ) from error
    finally:
        upload.seek(0)


@dataclass(frozen=True, slots=True)
class Copy:
    width: int
    height: int
    name: str  # the storage name


def framed(picture: Image.Image, width: int) -> Image.Image:
    height = width * ASPECT[1] // ASPECT[0]
    return ImageOps.fit(picture, (width, height), Image.Resampling.LANCZOS)


def make_copies(source, *, stem: str, storage: Storage) -> dict[str, list[Copy]]:
    """Resized WebP copies of ``source`` (a file), saved through ``storage``."""
    source.seek(0)
    with Image.open(source) as opened:
        picture = ImageOps.exif_transpose(opened)
        picture = picture.convert("RGBA" if picture.mode in ("RGBA", "LA", "P") else "RGB")
        # the widest 4:3 frame the picture holds
        frame_width = min(picture.width, picture.height * ASPECT[0] // ASPECT[1])
        copies: dict[str, list[Copy]] = {}
        for kind, widths in WIDTHS.items():
            made = []
            for width in widths:
                if width > frame_width and made:
                    break
                width = min(width, frame_width)
                resized = framed(picture, width)
                buffer = io.BytesIO()
                resized.save(buffer, "WEBP", quality=WEBP_QUALITY, method=6)
                name = storage.save(
                    f"products/copies/{stem}-{kind}-{width}.webp", ContentFile(buffer.getvalue())
                )
                made.append(Copy(width, resized.height, name))
            copies[kind] = made
    return copies


def delete_after_commit(storage: Storage, names: list[str]) -> None:
    """Delete ``names`` from ``storage`` once the surrounding transaction commits (at once
    outside one); a rolled-back delete or replacement keeps the files its row still names."""

    def delete() -> None:
        for name in names:
            storage.delete(name)  # a name already gone is no error

    transaction.on_commit(delete, robust=True)


def delete_picture_files(sender, instance, **kwargs) -> None:
    """``post_delete`` of ``ProductImage`` (one deleted in the admin, or many by a bulk
    action): its upload and resized copies leave the storage after the commit."""
    if instance.image:
        names = [instance.image.name, *instance.stored_names()]
        delete_after_commit(instance.image.storage, list(dict.fromkeys(names)))
