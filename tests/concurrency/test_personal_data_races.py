"""An erasure and a reader that copies personal data out of the log (PostgreSQL, threads).

A rebuild or a subscriber's batch holds the erasure lock shared (``personal.reading()``)
while it copies values out; an erasure that starts meanwhile waits for it to commit, then
removes what it copied. Without the lock, the reader's copy would outlive the erasure.
"""

import threading
import time

import pytest
from django.db import connections, transaction

from orders.models import OrderSummary
from privacy import services
from privacy.domain import Reason
from shop import eventstore, personal
from shop.registry import ERASED
from tests.factories import SYSTEM, ProductFactory
from tests.integration.test_personal_data import place_order, unique_person

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_erasure_waits_for_a_reader_then_removes_what_it_copied(client):
    tea = ProductFactory(name="Race Tea", price="5.00", stock=10)
    person = unique_person()
    order = place_order(client, tea, person)
    reading, erasing_started = threading.Event(), threading.Event()
    timeline, errors = [], []

    def reader():
        """Copies the order's email out of the log, as a subscriber's email would."""
        try:
            with transaction.atomic(), personal.reading():
                email = eventstore.load(order.order_id)[0].event.customer.email
                reading.set()
                erasing_started.wait(10)
                time.sleep(0.5)  # the erasure is waiting on the lock by now
                OrderSummary.objects.filter(order_id=order.order_id).update(full_name=email)
                timeline.append("reader commits")
        except Exception as error:  # asserted below
            errors.append(error)
        finally:
            connections.close_all()

    def eraser():
        try:
            reading.wait(10)
            erasing_started.set()
            with transaction.atomic():
                services.guest_order_erase(
                    order=OrderSummary.objects.get(order_id=order.order_id),
                    reason=Reason.STAFF,
                    context=SYSTEM,
                )
            timeline.append("erasure commits")
        except Exception as error:  # asserted below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=reader), threading.Thread(target=eraser)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    assert timeline == ["reader commits", "erasure commits"]
    order.refresh_from_db()
    assert order.email == ERASED and order.full_name == ERASED  # the copy went too
    assert eventstore.load(order.order_id)[0].event.customer.email == ERASED
