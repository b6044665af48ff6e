"""PostgreSQL prepares the hot statements once per connection instead of planning each run."""

import uuid

import pytest
from django.db import connection

from carts import services
from shop.aggregates import CommandContext
from tests.factories import ProductFactory
from tests.support.servers import shop_setting

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def prepared() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        # Without the quotes around names: the projection writer quotes them, the ORM too.
        return [" ".join(statement.replace('"', "").split()) for (statement,) in cursor.fetchall()]


def test_a_command_run_six_times_runs_prepared_statements():
    product = ProductFactory()
    cart = uuid.uuid4()
    context = CommandContext(actor="system:test")
    # Whether an earlier test on this connection prepared them already depends on the order
    # the tests run in; having run 5 times, the 6th run prepares them either way. (The
    # first add creates the cart's summary: the summary's UPDATE runs from the second on.)
    for _ in range(7):
        services.cart_add_item(cart_id=cart, product=product, quantity=1, context=context)

    statements = prepared()
    assert any(s.startswith("INSERT INTO shop_event") for s in statements)
    assert any(s.startswith("SELECT pg_advisory_xact_lock") for s in statements)
    assert any(s.startswith("WITH advanced AS (UPDATE carts_cartsummary") for s in statements)


@pytest.mark.parametrize(("value", "expected"), [(None, "5"), ("2", "2"), ("off", "None")])
def test_db_prepare_threshold_sets_when_statements_are_prepared(value, expected):
    shown = shop_setting(
        "settings.DATABASES['default']['OPTIONS']['prepare_threshold']",
        DB_PREPARE_THRESHOLD=value,
    )
    assert shown == expected
