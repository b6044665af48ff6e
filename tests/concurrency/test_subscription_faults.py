"""Faults around the worker: SIGKILL mid-run, RabbitMQ away mid-relay, the database away.

Two ``run_subscriptions`` processes (and their replacements) reach PostgreSQL and RabbitMQ
through TCP proxies the test cuts (the machine's RabbitMQ is shared, so it is not stopped:
its proxy is). Orders keep coming meanwhile. Afterwards every confirmation was sent exactly
once (counted from the files the file email backend wrote) and every integration message
reached a test consumer at least once.
"""

from __future__ import annotations

import collections
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from decimal import Decimal
from pathlib import Path

import pika
import pytest
from django.db import connections
from django.utils import timezone

from carts.services import cart_add_item
from orders import domain
from orders.services import order_checkout
from subscriptions.models import Email, OutboxMessage
from tests.factories import SYSTEM, ProductFactory
from tests.payments import pay
from tests.support.proxy import TcpProxy
from tests.support.servers import ROOT, database_url, free_port, server_env

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

BROKER = "amqp://guest:guest@127.0.0.1:{port}/%2F"
ADDRESS = domain.Address(
    full_name="Ada Lovelace", address="1 Road", city="London", postal_code="N1", country="UK"
)


class Workers:
    def __init__(self, tmp: Path, db_port: int, mq_port: int, exchange: str):
        url = database_url().replace(":5432/", f":{db_port}/")
        self.env = server_env(
            url,
            DJANGO_SETTINGS_MODULE="shop.settings",
            EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
            EMAIL_FILE_PATH=str(tmp / "mail"),
            BROKER_URL=BROKER.format(port=mq_port),
            BROKER_EXCHANGE=exchange,
            DB_CONNECT_TIMEOUT="2",
            LOG_LEVEL="INFO",
            PYTHONUNBUFFERED="1",
        )
        self.tmp = tmp
        self.processes: list[subprocess.Popen] = []

    def log(self, process: subprocess.Popen) -> str:
        return (self.tmp / f"worker-{process.pid}.log").read_text()

    def start(self) -> subprocess.Popen:
        """A worker process, returned once it runs (it takes the jobs nobody holds)."""
        with open(self.tmp / "next.log", "wb") as log:
            process = subprocess.Popen(
                [sys.executable, "manage.py", "run_subscriptions", "--poll", "0.05"],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        (self.tmp / "next.log").rename(self.tmp / f"worker-{process.pid}.log")
        self.processes.append(process)
        deadline = time.monotonic() + 60
        while "run_subscriptions: started" not in self.log(process):
            assert time.monotonic() < deadline and process.poll() is None, self.log(process)
            time.sleep(0.1)
        return process

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()


def place_orders(product, placed: list, stop: threading.Event) -> None:
    """An order placed and paid every 0.25 s until ``stop``: they keep coming through every
    fault (the confirmation goes out once an order is paid)."""
    try:
        while not stop.is_set():
            cart_id = uuid.uuid4()
            cart_add_item(cart_id=cart_id, product=product, quantity=1, context=SYSTEM)
            checkout = order_checkout(
                cart_id=cart_id,
                command_id=uuid.uuid4(),
                customer=domain.Customer(email="ada@example.com"),
                address=ADDRESS,
                context=SYSTEM,
            )
            pay(checkout.order_id)
            placed.append(checkout.order_id)
            time.sleep(0.25)
    finally:
        connections.close_all()


def test_every_email_once_and_every_message_at_least_once_through_kills_and_outages(
    tmp_path,
):
    product = ProductFactory(name="Kenya AA", price=Decimal("16.20"), stock=1000)
    exchange = f"test.faults.{uuid.uuid4().hex[:10]}"
    consumer = pika.BlockingConnection(pika.URLParameters(BROKER.format(port=5672)))
    channel = consumer.channel()
    channel.exchange_declare(exchange, exchange_type="topic", durable=True)
    queue = channel.queue_declare(f"{exchange}.consumer", exclusive=True).method.queue
    channel.queue_bind(queue, exchange, routing_key="#")

    db_port, mq_port = free_port(), free_port()
    db_proxy = TcpProxy(("127.0.0.1", 5432), db_port).start()
    mq_proxy = TcpProxy(("127.0.0.1", 5672), mq_port).start()
    workers = Workers(tmp_path, db_port, mq_port, exchange)
    placed: list = []
    enough = threading.Event()
    writer = threading.Thread(target=place_orders, args=(product, placed, enough))
    try:
        first, second = workers.start(), workers.start()
        writer.start()
        time.sleep(1.5)
        first.send_signal(signal.SIGKILL)  # it held every job: killed mid-run
        workers.start()
        time.sleep(1.0)
        mq_proxy.stop()  # RabbitMQ away mid-relay
        time.sleep(2.0)
        mq_proxy = TcpProxy(("127.0.0.1", 5672), mq_port).start()
        time.sleep(0.5)
        second.send_signal(signal.SIGKILL)  # it took the jobs over from the first
        workers.start()
        time.sleep(1.0)
        db_proxy.stop()  # the database away mid-run
        time.sleep(2.0)
        db_proxy = TcpProxy(("127.0.0.1", 5432), db_port).start()
        back = timezone.now()
        assert writer.is_alive(), "the orders stopped before the faults ended"
        time.sleep(2.0)  # orders after the database returned
        enough.set()
        writer.join()
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            sent = Email.objects.filter(sent_at__isnull=False).count()
            waiting = OutboxMessage.objects.filter(published_at__isnull=True).count()
            if sent == len(placed) and not waiting:
                break
            time.sleep(0.2)
    finally:
        enough.set()
        workers.stop()
        db_proxy.stop()
        mq_proxy.stop()
    logs = "".join(workers.log(p) for p in workers.processes)
    # The faults happened while the jobs ran: the relay lost its broker, a worker its database.
    assert "relay: the broker is unavailable" in logs
    assert "database unavailable" in logs or "could not take" in logs
    # … and the workers took the jobs back: emails went out after the database returned.
    assert Email.objects.filter(sent_at__gt=back).exists()

    assert len(placed) > 20
    # Every confirmation exactly once: one file per message, each with its Message-ID.
    ids = collections.Counter(
        match
        for path in (tmp_path / "mail").glob("*.log")
        for match in re.findall(r"^Message-ID:\s+(<[^>]+>)", path.read_text(), re.MULTILINE)
    )
    expected = {f"<order-confirmation.{order_id}@bean-and-leaf>" for order_id in placed}
    assert set(ids) == expected
    assert set(ids.values()) == {1}
    assert Email.objects.filter(sent_at__isnull=False).count() == len(placed)

    # Every integration message at least once (duplicates carry the same message id).
    received = collections.Counter()
    while True:
        method, properties, _ = channel.basic_get(queue, auto_ack=True)
        if method is None:
            break
        received[properties.message_id] += 1
    channel.exchange_delete(exchange)
    consumer.close()
    written = {str(p) for p in OutboxMessage.objects.values_list("event_position", flat=True)}
    # placed, stock reserved and paid per order, and the listing's stock
    assert len(written) == 3 * len(placed) + 1
    assert written <= set(received)
