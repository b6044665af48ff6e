"""What three web scanners and a proxy deployment found (issue 16), each with its fix."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.test import override_settings
from django.utils import timezone

from carts.models import Coupon, CouponFailures
from shop.models import Event
from tests.factories import ProductFactory, add_to_cart

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-enough-passphrase-42"

# --- 1. A user name longer than the attempt log's column ---------------------------------------


@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"])
def test_an_overlong_user_name_is_a_counted_failed_login(client, url):
    name = "u" * 300
    statuses = [
        client.post(url, {"username": name, "password": "wrong"}).status_code for _ in range(5)
    ]
    assert statuses == [200, 200, 200, 200, 429]  # the form again, then the lockout
    attempt = AccessAttempt.objects.get()
    assert attempt.username == name[:255]  # cut to fit the column, on SQLite as on PostgreSQL
    assert attempt.failures_since_start == 5


# --- 2. Redirect targets the shopper supplies ----------------------------------------------------

NOT_LOCAL = [
    "home",  # a bare word: redirect() tried it as a URL name
    "carts:detail",
    "42",
    '{"next": "/cart/"}',
    "[1, 2]",
    "null",
    "//evil.example/",
    "/\\evil.example",
    "https://evil.example/cart/",
    "javascript:alert(1)",
]


@pytest.mark.parametrize("target", NOT_LOCAL)
def test_add_to_cart_stores_and_says_so_whatever_the_next_field(client, target):
    product = ProductFactory(name="Next Target")
    response = client.post(
        "/cart/add/", {"product": str(product.id), "quantity": 1, "next": target}
    )
    assert response.status_code == 302
    assert response["Location"] == product.get_absolute_url()
    assert Event.objects.filter(event_type="ItemAdded").count() == 1
    page = client.get(response["Location"])
    assert "Added 1 × Next Target to your cart." in page.content.decode()


def test_a_local_next_is_followed(client):
    product = ProductFactory()
    response = client.post(
        "/cart/add/", {"product": str(product.id), "quantity": 1, "next": "/?q=tea&page=2"}
    )
    assert response["Location"] == "/?q=tea&page=2"


@pytest.mark.parametrize("target", NOT_LOCAL)
def test_sign_up_logs_in_whatever_the_next_field(client, target):
    response = client.post(
        "/accounts/signup/",
        {
            "username": "ada",
            "email": "ada@example.com",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "next": target,
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.session["_auth_user_id"]


@pytest.mark.parametrize("target", ["home", "42", "//evil.example/", "https://evil.example/"])
def test_log_in_and_out_fall_back_from_a_target_that_is_not_a_local_path(client, target):
    get_user_model().objects.create_user("ada", password=PASSWORD)
    logged_in = client.post(
        "/accounts/login/", {"username": "ada", "password": PASSWORD, "next": target}
    )
    assert logged_in.status_code == 302 and logged_in["Location"] == "/"
    logged_out = client.post(f"/accounts/logout/?next={target}")
    assert logged_out.status_code == 302 and logged_out["Location"] == "/"
    again = client.post(
        "/accounts/login/", {"username": "ada", "password": PASSWORD, "next": "/cart/"}
    )
    assert again["Location"] == "/cart/"


def test_the_error_page_does_not_claim_what_it_cannot_know(rf):
    from shop.views import server_error

    try:
        raise ValueError("a bug after the write")
    except ValueError:
        response = server_error(rf.get("/"))
    page = response.content.decode()
    assert response.status_code == 500
    assert "half-saved" not in page and "nothing was" not in page.lower()
    assert "may or may not" in page


# --- 4. Coupon guessing ----------------------------------------------------------------------


@pytest.fixture
def cart(client):
    add_to_cart(client, ProductFactory(price="40.00"), 1)
    Coupon.objects.create(code="REAL10", kind="percent", value=10)
    return client


def apply(client, code, **extra):
    return client.post("/cart/coupon/", {"code": code}, **extra)


def test_wrong_coupon_codes_are_throttled_per_session(cart, settings):
    limit = settings.SHOP_COUPON_FAILURES_PER_SESSION
    wrong = [apply(cart, f"GUESS{n}").status_code for n in range(limit)]
    assert wrong == [404] * limit  # no coupon has that code
    blocked = apply(cart, "REAL10")  # even the right code: a guesser learns nothing more
    assert blocked.status_code == 429
    assert "Too many coupon codes did not work" in blocked.content.decode()
    assert not Event.objects.filter(event_type="CouponApplied").exists()


def test_a_right_code_before_the_limit_is_applied_at_once(cart, settings):
    for n in range(settings.SHOP_COUPON_FAILURES_PER_SESSION - 1):
        apply(cart, f"GUESS{n}")
    response = apply(cart, "real10")
    assert response.status_code == 302
    assert Event.objects.filter(event_type="CouponApplied").count() == 1


def test_wrong_coupon_codes_are_throttled_per_address(client, settings):
    """A guesser who starts a new session for every code is still counted by address."""
    from django.test import Client

    settings.SHOP_COUPON_FAILURES_PER_ADDRESS = 3
    product = ProductFactory()
    statuses = []
    for n in range(4):
        fresh = Client(REMOTE_ADDR="198.51.100.7")
        add_to_cart(fresh, product, 1)
        statuses.append(apply(fresh, f"GUESS{n}").status_code)
    assert statuses == [404, 404, 404, 429]
    elsewhere = Client(REMOTE_ADDR="198.51.100.8")
    add_to_cart(elsewhere, product, 1)
    assert apply(elsewhere, "GUESS").status_code == 404  # another address is not blocked


def test_the_throttle_forgets_after_its_window(cart, settings):
    for n in range(settings.SHOP_COUPON_FAILURES_PER_SESSION):
        apply(cart, f"GUESS{n}")
    assert apply(cart, "REAL10").status_code == 429
    CouponFailures.objects.update(
        since=timezone.now() - settings.SHOP_COUPON_FAILURE_WINDOW - timedelta(seconds=1)
    )
    assert apply(cart, "REAL10").status_code == 302


def test_the_throttle_answers_htmx_with_the_message(cart, settings):
    settings.SHOP_COUPON_FAILURES_PER_SESSION = 1
    apply(cart, "GUESS")
    response = apply(cart, "REAL10", headers={"HX-Request": "true"})
    assert response.status_code == 429
    assert "Too many coupon codes did not work" in response.content.decode()


# --- 5. Bodies bigger than an endpoint takes ----------------------------------------------------


class RecordingUploadHandler(FileUploadHandler):
    """Notes every file Django starts to receive; the test asserts none was."""

    received: list[str] = []

    def new_file(self, field_name, file_name, *args, **kwargs):
        self.received.append(file_name)
        super().new_file(field_name, file_name, *args, **kwargs)

    def receive_data_chunk(self, raw_data, start):
        return raw_data

    def file_complete(self, file_size):
        return None


@pytest.fixture
def recording_uploads(settings):
    settings.FILE_UPLOAD_HANDLERS = [f"{__name__}.RecordingUploadHandler"]
    RecordingUploadHandler.received = []
    return RecordingUploadHandler.received


@pytest.mark.parametrize("url", ["/cart/add/", "/accounts/login/", "/admin/login/", "/healthz"])
def test_a_big_multipart_body_is_refused_unread_where_no_files_are_taken(
    client, recording_uploads, url
):
    product = ProductFactory()
    big = SimpleUploadedFile("big.bin", b"\0" * (3 * 1024 * 1024))
    response = client.post(url, {"product": str(product.id), "quantity": 1, "file": big})
    assert response.status_code == 413
    assert recording_uploads == []  # never parsed: nothing spooled to disk
    assert not Event.objects.filter(event_type="ItemAdded").exists()


def test_staff_uploads_on_admin_pages_are_limited_too(admin_client, recording_uploads, settings):
    settings.SHOP_UPLOAD_MAX_BYTES = 4 * 1024 * 1024
    within = SimpleUploadedFile("ok.bin", b"\0" * (3 * 1024 * 1024))
    response = admin_client.post("/admin/auth/user/add/", {"file": within})
    assert response.status_code == 200  # read, and the form shown again (it takes no file)
    assert recording_uploads == ["ok.bin"]
    too_big = SimpleUploadedFile("big.bin", b"\0" * (5 * 1024 * 1024))
    assert admin_client.post("/admin/auth/user/add/", {"file": too_big}).status_code == 413
    assert recording_uploads == ["ok.bin"]


def test_small_plain_forms_still_work(client):
    product = ProductFactory()
    response = client.post(
        "/cart/add/",
        f"product={product.id}&quantity=2",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 302


# --- 6. Methods ------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/", "/cart/", "/healthz", "/accounts/login/", "/admin/login/"])
def test_head_answers_like_get(client, url):
    get, head = client.get(url), client.head(url)
    assert head.status_code == get.status_code < 400
    assert head.content == b""


def test_head_on_a_product_page(client):
    product = ProductFactory()
    assert client.head(product.get_absolute_url()).status_code == 200


@pytest.mark.parametrize("method", ["put", "patch", "delete", "trace"])
@pytest.mark.parametrize("url", ["/admin/login/", "/accounts/login/", "/admin/", "/healthz"])
def test_unsafe_methods_nothing_serves_are_405(client, admin_client, method, url):
    who = admin_client if url == "/admin/" else client
    response = getattr(who, method)(url, "username=a&password=b")
    assert response.status_code == 405
    assert set(response["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS", "POST"}


def test_put_on_the_admin_login_never_logs_in(client):
    get_user_model().objects.create_superuser("root", password=PASSWORD)
    response = client.put(
        "/admin/login/",
        f"username=root&password={PASSWORD}",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 405
    assert "_auth_user_id" not in client.session


# --- 7. Permissions-Policy, favicon ------------------------------------------------------------


def test_permissions_policy_turns_off_what_the_shop_never_uses(client):
    header = client.get("/")["Permissions-Policy"]
    policy = dict(part.strip().split("=", 1) for part in header.split(","))
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert policy[feature] == "()", feature


@override_settings(DEBUG=False)
def test_the_favicon_is_served_at_the_root(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert body[:4] == b"\0\0\1\0"  # an ICO file
    assert '<link rel="icon" href="/favicon.ico"' in client.get("/").content.decode()
