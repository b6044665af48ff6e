"""How many statements the projections cost a command, on each database.

``shop.projections`` writes an event's rows with one statement per row change, after the
stream row's; on PostgreSQL an event with one row change besides its stream row sends
both as one statement. These counts are what add to cart and checkout cost; they must not
grow.
"""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from carts.models import Coupon
from tests.factories import add_to_cart
from tests.integration.test_checkout import ADDRESS, checkout_form

pytestmark = pytest.mark.django_db

HTMX = {"headers": {"HX-Request": "true"}}
WRITE = re.compile(
    r"^\s*(WITH\s+advanced\s+AS\s*\(\s*)?(UPDATE|INSERT\s+INTO|DELETE\s+FROM)\s+\"?(\w+)", re.I
)
READ_MODELS = {
    "carts_cartsummary",
    "carts_cartline",
    "carts_coupon",
    "catalog_product",
    "catalog_productvariant",
    "orders_ordersummary",
    "orders_orderline",
}


def projection_writes(captured) -> list[str]:
    """The tables each projection statement wrote first (a WITH writes a second one)."""
    tables = []
    for query in captured:
        match = WRITE.match(query["sql"])
        if match and match.group(3).lower() in READ_MODELS:
            tables.append(match.group(3).lower())
    return tables


def per_event(statements_on_sqlite: int) -> int:
    """A stream row and one more row: one statement on PostgreSQL, two on SQLite."""
    return 1 if connection.vendor == "postgresql" else statements_on_sqlite


def test_each_cart_command_costs_one_projection_statement_on_postgresql(client, kenya, assam):
    with CaptureQueriesContext(connection) as first:
        add_to_cart(client, kenya, 1, **HTMX)  # creates the summary and the line
    with CaptureQueriesContext(connection) as again:
        add_to_cart(client, kenya, 2, **HTMX)
    with CaptureQueriesContext(connection) as other:
        add_to_cart(client, assam, 1, **HTMX)
    with CaptureQueriesContext(connection) as change:
        client.post("/cart/change/", {"product": str(assam.id), "quantity": 3}, **HTMX)
    with CaptureQueriesContext(connection) as remove:
        client.post("/cart/remove/", {"product": str(assam.id)}, **HTMX)
    assert projection_writes(first) == ["carts_cartsummary", "carts_cartline"][: per_event(2)]
    for captured in (again, other, change, remove):
        assert (
            projection_writes(captured) == ["carts_cartsummary", "carts_cartline"][: per_event(2)]
        )
    assert len(again) <= 9  # the whole add, as test_add_to_cart_query_budget counts it


def test_checkout_costs_one_projection_statement_per_stream(client, kenya, assam):
    coupon = Coupon.objects.create(code="TEN", value=10)
    add_to_cart(client, kenya, 1)
    add_to_cart(client, assam, 2)
    assert client.post("/cart/coupon/", {"code": coupon.code}).status_code == 302
    data = {**ADDRESS, **checkout_form(client)}
    with CaptureQueriesContext(connection) as captured:
        response = client.post("/checkout/", data)
    assert response.status_code == 302
    # The cart's summary; the order's summary and its two lines (one INSERT for both); each
    # product and its variant's stock (one statement on PostgreSQL, two on SQLite); the
    # coupon's redemptions.
    variants = ["catalog_productvariant"] * 2 if per_event(2) == 2 else []
    assert sorted(projection_writes(captured)) == sorted(
        [
            "carts_cartsummary",
            "orders_ordersummary",
            "orders_orderline",
            "catalog_product",
            "catalog_product",
            *variants,
            "carts_coupon",
        ]
    )
    assert Coupon.objects.get().redemptions == 1
    # Every statement of the checkout, the outbox's included: 31 before the projections
    # shared one writer, which creates a stream row with one INSERT instead of a SELECT and
    # an INSERT in a savepoint; one more for the guest's data key, which encrypts the order's
    # personal fields (shop/personal.py). A line per variant adds a variant row's stock to
    # each product's statement: on SQLite one more statement per product.
    assert len(captured) <= 29 + len(variants)
