"""The staff pages we wrote look like the admin's own, name what they show, and fit."""

import re
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from carts import services as cart_services
from insight import reports as insight
from shop.aggregates import CommandContext
from tests.factories import ProductFactory
from tests.journeys import checked_out_cart, staff_user

pytestmark = pytest.mark.django_db

STAFF_CSS = Path(settings.BASE_DIR) / "static" / "css" / "staff.css"


@pytest.fixture
def staff(client):
    user = staff_user()
    client.force_login(user)
    return user


@pytest.fixture
def products():
    return ProductFactory(name="Kenya AA"), ProductFactory(name="Sencha")


def crumbs(html: str) -> list[str]:
    block = re.search(r'<ol class="breadcrumbs">(.*?)</ol>', html, re.S)
    assert block, "no admin breadcrumbs"
    return [
        re.sub(r"<[^>]+>", "", li).strip()
        for li in re.findall(r"<li[^>]*>(.*?)</li>", block.group(1), re.S)
    ]


def test_the_custom_pages_use_the_admins_breadcrumbs(client, staff, products):
    cart, _ = checked_out_cart(*products)
    insight_page = client.get("/admin/shop/event/insight/").content.decode()
    assert crumbs(insight_page) == ["Home", "Event store", "Events", "Insight"]
    assert '<li aria-current="page">Insight</li>' in insight_page
    stream = client.get(f"/admin/shop/event/stream/{cart}/").content.decode()
    assert crumbs(stream)[:3] == ["Home", "Event store", "Events"]
    assert crumbs(stream)[3].startswith("Cart of a guest (")
    for page in (insight_page, stream):
        assert '<div class="breadcrumbs">' not in page


def test_the_timeline_names_products_carts_and_customers(client, staff, products):
    kenya, sencha = products
    cart, order = checked_out_cart(kenya, sencha)
    html = client.get(f"/admin/shop/event/stream/{cart}/").content.decode()
    assert f"<h1>Cart of a guest ({str(cart)[:8]}…)</h1>" in html
    summaries = re.findall(r'<div class="timeline-summary">([^<]*)</div>', html)
    assert summaries[:3] == ["2 × Kenya AA", "1 × Sencha", "1 × Sencha"]
    assert f"order {str(order)[:8]}" in summaries[-1]
    product = client.get(f"/admin/shop/event/stream/{kenya.id}/").content.decode()
    assert "<h1>Product Kenya AA</h1>" in product
    customer = staff_user(username="alice", permissions=[])
    theirs = uuid.uuid4()
    cart_services.cart_add_item(
        cart_id=theirs,
        product=kenya,
        quantity=1,
        context=CommandContext(actor=f"user:{customer.pk}"),
    )
    html = client.get(f"/admin/shop/event/stream/{theirs}/").content.decode()
    assert "<h1>Cart of alice (" in html


def test_the_event_list_shows_short_stream_ids_with_the_whole_id_in_the_page(
    client, staff, products
):
    cart, _ = checked_out_cart(*products)
    html = client.get("/admin/shop/event/").content.decode()
    assert f'<span class="stream-id" title="{cart}">{cart}</span>' in html
    assert "column-stream_type" not in html  # the stream type is in the timeline link
    assert "staff.css" in html
    css = STAFF_CSS.read_text()
    assert re.search(r"\.stream-id \{[^}]*max-width: 9ch[^}]*text-overflow: ellipsis", css)


def test_every_chart_series_has_a_colour_of_its_own():
    css = STAFF_CSS.read_text()
    fills = dict(re.findall(r"^\.series-(\d+) \{ fill: ([^;]+); \}$", css, re.M))
    assert sorted(map(int, fills)) == list(range(insight.SERIES))
    assert len(set(fills.values())) == insight.SERIES  # no fill used twice
    bar = re.search(r"\.insight-chart \.bar \{ fill: ([^;]+); \}", css).group(1)
    assert bar not in fills.values()
    okabe_ito = {
        "#e69f00",
        "#56b4e9",
        "#009e73",
        "#f0e442",
        "#0072b2",
        "#d55e00",
        "#cc79a7",
        "#000",
    }
    assert {fills[str(i)] for i in range(8)} == okabe_ito
    patterns = dict(re.findall(r"^\.pattern-(\d) \{ fill: ([^;]+); \}$", css, re.M))
    assert set(patterns.values()) == okabe_ito


def test_the_insight_chart_gives_each_event_type_its_own_series(client, staff, products):
    checked_out_cart(*products)
    response = client.get("/admin/shop/event/insight/")
    legend = response.context["per_day"]["legend"]
    assert len(legend) >= 5
    assert len({item["css"] for item in legend}) == len(legend)
    html = response.content.decode()
    for i in range(8):
        assert f'<pattern id="hatch-{i}"' in html and f'<pattern id="dots-{i}"' in html
    assert 'fill="#417690"' not in html
