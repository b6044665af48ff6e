"""Product pictures: staff upload them in the admin; the shop serves resized WebP copies."""

import io
import os
import re

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from catalog.models import ProductImage
from tests.factories import ProductFactory
from tests.journeys import staff_user

pytestmark = pytest.mark.django_db

PICTURE_PERMISSIONS = [
    ("catalog", "view_product"),
    ("catalog", "add_productimage"),
    ("catalog", "change_productimage"),
    ("catalog", "view_productimage"),
]


def picture_file(size=(1600, 1200), fmt="PNG", name="photo.png", noise=False):
    buffer = io.BytesIO()
    picture = Image.effect_noise(size, 64) if noise else Image.new("RGB", size, (180, 90, 40))
    picture.save(buffer, fmt)
    return SimpleUploadedFile(name, buffer.getvalue())


@pytest.fixture
def staff(client):
    client.force_login(staff_user(permissions=PICTURE_PERMISSIONS))


@pytest.fixture
def kenya():
    return ProductFactory(name="Kenya AA")


def upload(client, product, file, **fields):
    data = {"product": str(product.id), "image": file, "alt": "", "position": 0, **fields}
    return client.post("/admin/catalog/productimage/add/", data)


def stored_files() -> set[str]:
    root = default_storage.path("products")
    return {f for _, _, files in os.walk(root) for f in files}


def test_staff_upload_a_picture_and_the_shop_serves_resized_webp_copies(client, staff, kenya):
    response = upload(client, kenya, picture_file(), alt="A bag of Kenya AA")
    assert response.status_code == 302, response.content[:2000]
    image = ProductImage.objects.get(product=kenya)
    assert (image.width, image.height) == (1600, 1200)
    widths = {
        kind: [w for w, _, _ in copies] for kind, copies in image.copies.items() if kind != "source"
    }
    assert widths == {"thumb": [320, 640], "large": [640, 1280]}
    for kind in ("thumb", "large"):
        for width, height, name in image.copies[kind]:
            assert height * 4 == width * 3
            with default_storage.open(name) as file, Image.open(file) as copy:
                assert copy.format == "WEBP" and copy.size == (width, height)

    page = client.get(kenya.get_absolute_url()).content.decode()
    img = re.search(r'<img class="picture"[^>]*>', page).group(0)
    assert 'width="640" height="480"' in img and 'alt="A bag of Kenya AA"' in img
    assert "-large-640.webp 640w" in img and "-large-1280.webp 1280w" in img
    assert 'sizes="' in img and 'loading="eager"' in img
    served = client.get(image.large.src)
    assert served.status_code == 200 and served["Content-Type"] == "image/webp"
    assert served["Cache-Control"] == "public, max-age=31536000, immutable"
    assert client.head(image.large.src).status_code == 200
    assert client.post(image.large.src).status_code == 405


def test_cards_load_their_pictures_lazily_below_the_first_row(client):
    products = [ProductFactory(name=f"Product {n:02d}") for n in range(8)]
    for product in products:
        ProductImage.objects.create(product=product, image=picture_file(size=(800, 600)))
    html = client.get("/").content.decode()
    loading = re.findall(r'<img class="picture"[^>]*loading="(\w+)"', html)
    assert loading == ["eager"] * 4 + ["lazy"] * 4
    # the first picture is the page's largest paint: the browser fetches it first
    imgs = re.findall(r'<img class="picture"[^>]*>', html)
    assert ['fetchpriority="high"' in img for img in imgs] == [True] + [False] * 7
    assert len(re.findall(r'width="320" height="240"', html)) == 8
    thumb = ProductImage.objects.first().thumb
    assert thumb.srcset.endswith("640w") and thumb.width == 320


def test_a_gallery_of_more_pictures_on_the_product_page(client, kenya):
    for position in range(3):
        ProductImage.objects.create(
            product=kenya, image=picture_file(size=(800, 600)), position=position
        )
    html = client.get(kenya.get_absolute_url()).content.decode()
    gallery = html[
        html.index('<ul class="gallery"') : html.index("</ul>", html.index('<ul class="gallery"'))
    ]
    assert gallery.count("<img ") == 2 and gallery.count('loading="lazy"') == 2


@pytest.mark.parametrize(
    ("file", "message"),
    [
        (SimpleUploadedFile("notes.png", b"not a picture at all"), "Upload a valid image"),
        (picture_file(size=(80, 60), fmt="BMP", name="old.bmp"), "Upload a JPEG, PNG, WebP or GIF"),
        (picture_file(size=(800, 600), noise=True), "pictures can be at most 97.7\xa0KB"),
    ],
)
def test_uploads_that_are_not_pictures_or_too_big_are_refused(
    client, staff, kenya, settings, file, message
):
    settings.SHOP_IMAGE_MAX_BYTES = 100_000
    before = stored_files()
    response = upload(client, kenya, file)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ProductImage.objects.exists()
    assert stored_files() == before


def test_a_picture_made_smaller_than_the_copies_is_not_enlarged(kenya):
    image = ProductImage.objects.create(product=kenya, image=picture_file(size=(400, 500)))
    assert [c[:2] for c in image.copies["thumb"]] == [[320, 240]]
    assert [c[:2] for c in image.copies["large"]] == [[400, 300]]


def test_pictures_on_object_storage_are_allowed_by_the_csp():
    from shop.settings import _media_origin

    assert _media_origin("https://pictures.example.net/shop/media/") == [
        "https://pictures.example.net"
    ]
    assert _media_origin("/media/") == []


def og(page: str, name: str) -> list[str]:
    return re.findall(rf'<meta property="{re.escape(name)}" content="([^"]*)"', page)


def product_json_ld(page: str) -> dict:
    import json

    (block,) = re.findall(r'<script type="application/ld\+json"[^>]*>(.*?)</script>', page, re.S)
    return json.loads(block)


def test_a_product_page_shares_its_pictures_at_absolute_addresses(client, kenya):
    main = ProductImage.objects.create(
        product=kenya, image=picture_file(), alt="A bag of Kenya AA", position=0
    )
    second = ProductImage.objects.create(product=kenya, image=picture_file((800, 600)), position=1)
    page = client.get(kenya.get_absolute_url()).content.decode()
    big = "http://testserver" + default_storage.url(main.copies["large"][-1][2])
    assert big.endswith("-large-1280.webp")
    assert og(page, "og:image") == [big]
    assert og(page, "og:image:type") == ["image/webp"]
    assert og(page, "og:image:width") == ["1280"] and og(page, "og:image:height") == ["960"]
    assert og(page, "og:image:alt") == ["A bag of Kenya AA"]
    images = product_json_ld(page)["image"]
    assert images == [big, "http://testserver" + default_storage.url(second.copies["large"][-1][2])]
    assert client.get(big).status_code == 200  # the address serves the picture


def test_pictures_on_object_storage_keep_its_address(client, kenya, settings):
    settings.MEDIA_URL = "https://pictures.example.net/media/"
    ProductImage.objects.create(product=kenya, image=picture_file((800, 600)))
    page = client.get(kenya.get_absolute_url()).content.decode()
    (url,) = og(page, "og:image")
    assert url.startswith("https://pictures.example.net/media/products/copies/")
    assert product_json_ld(page)["image"] == [url]


def test_a_product_without_pictures_names_none(client, kenya):
    page = client.get(kenya.get_absolute_url()).content.decode()
    assert og(page, "og:image") == []
    assert "image" not in product_json_ld(page)


PICTURE_DELETE = [*PICTURE_PERMISSIONS, ("catalog", "delete_productimage")]


def files_of(image: ProductImage) -> list[str]:
    names = image.stored_names()
    assert len(names) == 5 and names[0] == image.image.name  # the upload and four copies
    return names


def test_a_picture_deleted_in_the_admin_leaves_the_storage_after_the_commit(
    client, kenya, django_capture_on_commit_callbacks
):
    client.force_login(staff_user(permissions=PICTURE_DELETE))
    image = ProductImage.objects.create(product=kenya, image=picture_file())
    names = files_of(image)
    assert all(default_storage.exists(name) for name in names)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(f"/admin/catalog/productimage/{image.pk}/delete/", {"post": "yes"})
        assert response.status_code == 302
        assert all(default_storage.exists(name) for name in names)  # not before the commit
    assert len(callbacks) == 1
    callbacks[0]()
    assert not ProductImage.objects.exists()
    assert not any(default_storage.exists(name) for name in names)


def test_pictures_deleted_by_the_admins_bulk_action_leave_the_storage(
    client, kenya, django_capture_on_commit_callbacks
):
    client.force_login(staff_user(permissions=PICTURE_DELETE))
    images = [ProductImage.objects.create(product=kenya, image=picture_file()) for _ in range(2)]
    names = [name for image in images for name in files_of(image)]
    data = {
        "action": "delete_selected",
        "_selected_action": [image.pk for image in images],
        "post": "yes",
    }
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/admin/catalog/productimage/", data).status_code == 302
    assert not ProductImage.objects.exists()
    assert not any(default_storage.exists(name) for name in names)


def test_a_rolled_back_delete_keeps_the_files(kenya, django_capture_on_commit_callbacks):
    from django.db import transaction

    image = ProductImage.objects.create(product=kenya, image=picture_file())
    names, pk = files_of(image), image.pk
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            image.delete()
            raise RuntimeError("rolled back")
    assert callbacks == []
    assert ProductImage.objects.filter(pk=pk).exists()
    assert all(default_storage.exists(name) for name in names)


def test_a_picture_replaced_in_the_admin_leaves_no_old_files(
    client, staff, kenya, django_capture_on_commit_callbacks
):
    image = ProductImage.objects.create(product=kenya, image=picture_file())
    old = files_of(image)
    data = {"product": str(kenya.id), "image": picture_file((800, 600)), "alt": "", "position": 0}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/catalog/productimage/{image.pk}/change/", data)
    assert response.status_code == 302, response.content[:2000]
    image.refresh_from_db()
    assert image.image.name not in old
    assert all(default_storage.exists(name) for name in image.stored_names())
    assert not any(default_storage.exists(name) for name in old)
