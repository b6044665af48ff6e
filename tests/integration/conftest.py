"""Fixtures shared by several integration modules (a module's own fixture of the same name wins).

``kenya`` and ``assam``: two teas for cart and account tests (test_checkout.py has its own,
priced for its totals). ``products``, ``cart`` and ``staff``: what the staff pages show
(test_staff_admin.py, test_insight.py).
"""

from decimal import Decimal

import pytest

from tests.factories import ProductFactory
from tests.journeys import checked_out_cart, staff_user


@pytest.fixture
def kenya():
    return ProductFactory(name="Kenya AA", price="16.00", stock=8)


@pytest.fixture
def assam():
    return ProductFactory(name="Assam Breakfast", price="9.00", stock=20)


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
