"""Two logins at once with the same guest cart merge it once (PostgreSQL, real threads)."""

import threading
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.db import connections

from carts import services
from carts.models import CartLine, CustomerCart
from shop import eventstore
from tests.factories import SYSTEM, ProductFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_logins_at_once_merge_the_guest_cart_once():
    kenya = ProductFactory(name="Kenya AA", stock=50)
    customer = get_user_model().objects.create_user("ada", password="x-long-passphrase-1")
    customer_cart, guest_cart = uuid.uuid4(), uuid.uuid4()
    services.cart_add_item(cart_id=customer_cart, product=kenya, quantity=3, context=SYSTEM)
    services.cart_add_item(cart_id=guest_cart, product=kenya, quantity=2, context=SYSTEM)
    CustomerCart.objects.create(user=customer, cart_id=customer_cart)

    start = threading.Barrier(4)
    claims, errors = [], []

    def log_in():
        try:
            start.wait()
            claims.append(
                services.cart_claim_for_customer(
                    user_id=customer.pk, guest_cart_id=guest_cart, context=SYSTEM
                )
            )
        except Exception as error:  # collected and asserted below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=log_in) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert {claim.cart_id for claim in claims} == {customer_cart}
    assert sum(1 for claim in claims if claim.lines) == 1
    assert CartLine.objects.get(cart_id=customer_cart).quantity == 5
    customer_events = [e.event_type for e in eventstore.load(customer_cart)]
    assert customer_events.count("CartMerged") == 1
    assert [e.event_type for e in eventstore.load(guest_cart)] == ["ItemAdded", "CartMergedInto"]
