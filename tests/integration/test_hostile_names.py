"""Text from products and shoppers is escaped everywhere it is shown."""

import pytest
from django.test import Client

from tests.factories import CART_ACTIONS, ProductFactory, add_to_cart

pytestmark = pytest.mark.django_db

XSS = "<script>alert(1)</script>"
POST_ENDPOINTS = [
    *CART_ACTIONS,
    "/checkout/",
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/logout/",
]


@pytest.fixture
def hostile():
    return ProductFactory(name=XSS, slug="hostile", description=XSS)


def test_a_script_named_product_renders_as_text_in_the_shop(client, hostile):
    add_to_cart(client, hostile, 1)
    for url in ("/", "/?q=script", "/products/hostile/", "/cart/", "/checkout/"):
        page = client.get(url).content.decode()
        assert XSS not in page, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, url
    htmx = add_to_cart(client, hostile, 1, headers={"HX-Request": "true"}).content.decode()
    assert XSS not in htmx and "&lt;script&gt;" in htmx


def test_a_script_named_product_renders_as_text_in_the_admin(admin_client, hostile):
    for url in ("/admin/catalog/product/", f"/admin/catalog/product/{hostile.id}/change/"):
        page = admin_client.get(url).content.decode()
        assert XSS not in page, url
        assert "&lt;script&gt;" in page, url


@pytest.mark.parametrize("url", POST_ENDPOINTS)
def test_csrf_is_enforced_on_every_post_htmx_or_not(hostile, url):
    shopper = Client(enforce_csrf_checks=True)
    for headers in ({}, {"HX-Request": "true"}):
        response = shopper.post(url, {"product": str(hostile.id), "quantity": 1}, headers=headers)
        assert response.status_code == 403, (url, headers)
