"""Writers of one stream queue on its advisory lock, taken with the load (shop.unitofwork)."""

import threading
import uuid

import pytest
from django.db import connections, transaction

from carts.services import CART
from shop import unitofwork
from shop.aggregates import CommandContext

pytestmark = pytest.mark.django_db(transaction=True)
CONTEXT = CommandContext(actor="system:test")


def lock_streams(stream_ids):
    unitofwork.load_streams(CART, sorted(stream_ids), lock=True)


def test_a_second_writer_waits_for_the_first_to_commit():
    stream = uuid.uuid4()
    order = []
    holding = threading.Event()
    release = threading.Event()

    def first():
        with transaction.atomic():
            lock_streams([stream])
            order.append("first locked")
            holding.set()
            release.wait(10)
            order.append("first commits")
        connections.close_all()

    def second():
        holding.wait(10)
        with transaction.atomic():
            threading.Timer(0.3, release.set).start()
            lock_streams([stream, uuid.uuid4()])
            order.append("second locked")
        connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert order == ["first locked", "first commits", "second locked"]


def test_other_streams_do_not_wait():
    held, other = uuid.uuid4(), uuid.uuid4()
    done = []
    holding, release = threading.Event(), threading.Event()

    def holder():
        with transaction.atomic():
            lock_streams([held])
            holding.set()
            release.wait(10)
        connections.close_all()

    thread = threading.Thread(target=holder)
    thread.start()
    holding.wait(10)
    with transaction.atomic():
        lock_streams([other])
        done.append("other locked while the first is held")
    release.set()
    thread.join(10)
    assert done


def test_execute_loads_after_the_lock_so_the_second_writer_never_conflicts(monkeypatch):
    """Two commands on one cart at once: the second waits, then loads the first one's event."""
    from carts import domain
    from shop.money import Money

    cart_id, coffee = uuid.uuid4(), uuid.uuid4()
    add = domain.AddItem(
        product_id=coffee, quantity=1, unit_price=Money("9.50", "EUR"), available=10
    )
    loads = []
    real_load_streams = unitofwork.load_streams

    def counting_load_streams(*args, **kwargs):
        loads.append(threading.current_thread().name)
        return real_load_streams(*args, **kwargs)

    monkeypatch.setattr(unitofwork, "load_streams", counting_load_streams)
    holding, release = threading.Event(), threading.Event()
    outcomes = {}

    def first():
        with transaction.atomic():
            outcomes["first"] = unitofwork.execute(CART, cart_id, add, CONTEXT)
            holding.set()
            release.wait(10)
        connections.close_all()

    def second():
        holding.wait(10)
        threading.Timer(0.3, release.set).start()
        outcomes["second"] = unitofwork.execute(CART, cart_id, add, CONTEXT)
        connections.close_all()

    threads = [
        threading.Thread(target=first, name="first"),
        threading.Thread(target=second, name="second"),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert outcomes["first"].version == 1
    assert outcomes["second"].version == 2  # it saw the first add when it loaded
    assert outcomes["second"].state.quantity_of(coffee) == 2
    assert sorted(loads) == ["first", "second"]  # one load each: no conflict, no retry
