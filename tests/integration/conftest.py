"""Fixtures for the staff pages (tests/integration/test_staff_admin.py, test_insight.py)."""

from decimal import Decimal

import pytest

from tests.factories import ProductFactory
from tests.journeys import checked_out_cart, staff_user


@pytest.fixture
def products():
    return ProductFactory(name="Kenya AA", price=Decimal("9.50")), ProductFactory(name="Sencha")


@pytest.fixture
def cart(products):
    cart_id, _ = checked_out_cart(*products)
    return cart_id


@pytest.fixture
def staff(client):
    user = staff_user()
    client.force_login(user)
    return user
