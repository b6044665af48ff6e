"""A writer that lost a race queues on the stream's advisory lock instead of retrying blind."""

import threading
import uuid

import pytest
from django.db import connections, transaction

from shop.eventstore import lock_streams

pytestmark = pytest.mark.django_db(transaction=True)


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
