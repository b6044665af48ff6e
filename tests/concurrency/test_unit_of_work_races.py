"""A unit of work over two streams loses a race on one of them (PostgreSQL, real threads):
it runs again as a whole, and nothing of the lost attempt stays."""

import threading
import uuid

import pytest
from django.db import connections

from carts import domain
from carts.models import CartSummary
from carts.services import CART
from shop import eventstore, unitofwork
from shop.unitofwork import Lock
from tests.factories import SYSTEM, ProductFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_two_stream_unit_that_loses_a_race_retries_whole_and_half_writes_nothing():
    coffee = ProductFactory(stock=50)
    add = domain.AddItem(
        product_id=coffee.id, quantity=1, unit_price=coffee.unit_price, available=50
    )
    first, second = sorted([uuid.uuid4(), uuid.uuid4()])  # appended in this order
    loaded, rival_done = threading.Event(), threading.Event()
    attempts, seen_by_rival, results, errors = [], [], {}, []

    def unit():
        def work(uow):
            attempts.append((uow.attempt, uow.lock))
            a, b = uow.load_many(CART, [first, second])
            uow.decide(a, add)
            uow.decide(b, add)
            if uow.attempt == 1:  # let the rival write the second stream, then commit
                loaded.set()
                rival_done.wait(10)
            return a, b

        try:
            results["unit"] = unitofwork.run(work, context=SYSTEM, lock=Lock.AFTER_CONFLICT)
        except Exception as error:  # asserted below
            errors.append(error)
        finally:
            connections.close_all()

    def rival():
        try:
            loaded.wait(10)
            unitofwork.execute(CART, second, add, SYSTEM)
            # The unit has not committed yet: the first stream holds nothing.
            seen_by_rival.append(len(eventstore.load(first)))
        except Exception as error:  # asserted below
            errors.append(error)
        finally:
            rival_done.set()
            connections.close_all()

    threads = [threading.Thread(target=unit), threading.Thread(target=rival)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert errors == []
    assert attempts == [(1, False), (2, True)]  # optimistic, then locked after the conflict
    assert seen_by_rival == [0]
    # The first attempt appended the first stream before the second conflicted: rolled back,
    # or the second attempt would have appended version 2.
    assert [e.version for e in eventstore.load(first)] == [1]
    assert [e.version for e in eventstore.load(second)] == [1, 2]
    a, b = results["unit"]
    assert (a.version, b.version) == (1, 2)
    assert b.state.quantity_of(coffee.id) == 2  # decided again on the rival's event
    assert CartSummary.objects.get(cart_id=first).item_count == 1
    assert CartSummary.objects.get(cart_id=second).item_count == 2
