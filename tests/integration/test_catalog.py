import pytest
from django.core.management import call_command

from catalog.models import Category, Product
from shop.models import Event
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def test_seed_demo_lists_products_through_events_once():
    call_command("seed_demo")
    assert Category.objects.count() >= 3
    assert Product.objects.count() >= 24
    listed = Event.objects.filter(event_type="ProductListed").count()
    assert listed == Product.objects.count()
    assert Event.objects.filter(event_type="StockAdjusted").exists()
    call_command("seed_demo")
    assert Event.objects.filter(event_type="ProductListed").count() == listed


def test_home_lists_products_with_price_stock_and_picture(client):
    product = ProductFactory(name="Kenya Peaberry", stock=3)
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Kenya Peaberry" in html
    assert f"{product.price} EUR" in html
    assert "Only 3 left" in html
    assert "<svg" in html
    assert 'for="quantity-' in html and "Add to cart" in html


def test_home_filters_by_category_and_searches(client):
    tea = ProductFactory(name="Green Tea", category__slug="tea")
    ProductFactory(name="Dark Roast", category__slug="coffee")
    assert b"Dark Roast" not in client.get("/", {"category": "tea"}).content
    assert tea.name.encode() in client.get("/", {"category": "tea"}).content
    found = client.get("/", {"q": "roast"}).content
    assert b"Dark Roast" in found and b"Green Tea" not in found


def test_home_paginates_with_a_constant_number_of_queries(client, django_assert_max_num_queries):
    for n in range(30):
        ProductFactory(name=f"Bulk Product {n:02d}")
    with django_assert_max_num_queries(5):
        first = client.get("/")
    second = client.get("/", {"page": 2})
    assert b"Page 1 of 3" in first.content
    assert b"Page 2 of 3" in second.content
    assert client.get("/", {"page": "abc"}).status_code == 200


def test_product_detail_at_a_readable_url(client):
    product = ProductFactory(name="Hand Grinder Pro")
    response = client.get("/products/hand-grinder-pro/")
    assert response.status_code == 200
    assert product.name.encode() in response.content
    assert client.get("/products/no-such-thing/").status_code == 404


def test_search_terms_are_escaped(client):
    response = client.get("/", {"q": "<script>alert(1)</script>"})
    assert response.status_code == 200
    assert b"<script>alert(1)</script>" not in response.content
    assert b"&lt;script&gt;" in response.content


def test_a_nul_character_in_the_search_is_refused_not_a_crash(client):
    response = client.get("/", {"q": "tea\x00"})
    assert response.status_code == 422
    assert b"Null characters are not allowed" in response.content


def test_an_unknown_category_is_a_404_that_says_so_and_shows_every_product(client):
    ProductFactory(name="Green Tea", category__slug="tea")
    response = client.get("/", {"category": "nope"})
    assert response.status_code == 404
    assert b"There is no such category." in response.content
    assert b"Green Tea" in response.content
