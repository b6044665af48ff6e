"""Production posture: headers, CSP nonces, error pages, the deploy check, health."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client

from tests.factories import CART_ACTIONS, ProductFactory, add_to_cart
from tests.support.servers import database_url

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def csp_of(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";") if part.strip())


def test_security_headers_on_a_real_page(client):
    ProductFactory()
    response = client.get("/", secure=True)
    csp = csp_of(response)
    assert "'nonce-" in csp["script-src"]
    assert csp["object-src"] == "'none'"
    assert csp["base-uri"] == "'none'"
    assert csp["frame-ancestors"] == "'none'"
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")


def test_session_and_csrf_cookies_are_secure(client):
    product = ProductFactory()
    client.get("/", secure=True)
    response = add_to_cart(client, product, 1, secure=True)
    session = response.cookies["sessionid"]
    assert session["secure"] and session["httponly"]
    assert client.cookies["csrftoken"]["secure"]


def test_every_script_is_external_and_carries_the_nonce(client):
    ProductFactory()
    response = client.get("/")
    html = response.content.decode()
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
    scripts = re.findall(r"<script[^>]*>", html)
    assert scripts, "the page loads htmx"
    for tag in scripts:
        assert 'src="' in tag and f'nonce="{nonce}"' in tag
    assert "<style" not in html and ' style="' not in html


def test_two_responses_never_share_a_nonce(client):
    nonces = {
        re.search(r"'nonce-([^']+)'", client.get("/")["Content-Security-Policy"]).group(1)
        for _ in range(5)
    }
    assert len(nonces) == 5


def test_not_found_page_is_friendly_and_has_csp(client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert b"We could not find that page" in response.content
    assert "Content-Security-Policy" in response


def test_csrf_failure_page_explains(client):
    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/cart/add/", {"product": "x", "quantity": 1})
    assert response.status_code == 403
    assert b"This form has expired" in response.content


def test_healthz_answers_ok_with_a_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert client.post("/healthz").status_code == 405


def test_server_error_handler_turns_a_database_outage_into_503(rf):
    from django.db import OperationalError

    from shop.views import server_error

    try:
        raise OperationalError("connection refused")
    except OperationalError:
        response = server_error(rf.get("/"))
    assert response.status_code == 503
    assert response["Retry-After"]
    assert b"try again" in response.content
    try:
        raise ValueError("a bug")
    except ValueError:
        response = server_error(rf.get("/"))
    assert response.status_code == 500
    assert b"Traceback" not in response.content


@pytest.mark.postgres
def test_postgres_sessions_cannot_idle_in_a_transaction_forever():
    with connection.cursor() as cursor:
        cursor.execute("SHOW idle_in_transaction_session_timeout")
        assert cursor.fetchone()[0] == "30s"


@pytest.mark.django_db
def test_deploy_check_is_clean_with_production_settings():
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "shop.example.com",
        "DJANGO_SETTINGS_MODULE": "shop.settings",
    }
    if connection.vendor == "postgresql":
        # The check asks the database what it supports (Product's generated search
        # document): point it at the test database, which exists, as a deployed one would.
        env["DATABASE_URL"] = database_url()
    for name in ("SHOP_PLAIN_STATIC", "SECURE_SSL_REDIRECT", "DJANGO_ALLOW_ASYNC_UNSAFE"):
        env.pop(name, None)  # set for the test suite, never in production
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_refuse_to_start_without_a_secret_key():
    env = {**os.environ, "DEBUG": "0", "DJANGO_SETTINGS_MODULE": "shop.settings"}
    env.pop("SECRET_KEY", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


STATE_CHANGING = [*CART_ACTIONS, "/accounts/logout/"]


@pytest.mark.parametrize("url", STATE_CHANGING)
def test_state_changing_urls_refuse_get_and_head(client, url):
    assert client.get(url).status_code == 405
    assert client.head(url).status_code == 405


def test_checkout_get_only_shows_the_page(client):
    """/checkout/ answers GET with a page (or a redirect to the cart); it never places."""
    from shop.models import Event

    product = ProductFactory()
    add_to_cart(client, product, 1)
    before = Event.objects.count()
    for method in (client.get, client.head):
        assert method("/checkout/").status_code == 200
    assert Event.objects.count() == before


def test_partials_error_pages_and_admin_carry_the_policy(client, admin_client):
    product = ProductFactory()
    partial = add_to_cart(client, product, 1, headers={"HX-Request": "true"})
    refusal = client.post("/cart/add/", {"product": "x", "quantity": 1})
    not_found = client.get("/orders/00000000-0000-0000-0000-000000000000/")
    admin = admin_client.get("/admin/")
    for response in (partial, refusal, not_found, admin):
        csp = csp_of(response)
        assert csp["object-src"] == "'none'" and csp["frame-ancestors"] == "'none'"
    assert "'nonce-" in csp_of(admin)["script-src"]
