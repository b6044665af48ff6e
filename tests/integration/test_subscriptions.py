"""Subscribers, emails, reminders and the outbox, on SQLite and PostgreSQL (``db``)."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.db import transaction
from django.utils import timezone

from carts.models import CustomerCart
from carts.services import cart_add_item
from orders import domain
from orders.models import OrderSummary
from orders.services import order_checkout, order_mark_shipped
from shop.models import Event
from subscriptions import core, emails, locks, outbox, reminders
from subscriptions.models import Checkpoint, Email, EmailConsent, OutboxMessage, ParkedEvent
from tests.factories import SYSTEM, ProductFactory, add_to_cart, checkout_fields
from tests.journeys import staff_user
from tests.payments import pay
from tests.subscribing import drain, safe_mark

pytestmark = pytest.mark.django_db

REFUSING = {"default": {"BACKEND": "tests.support.mail.RefusingBackend"}}
ADDRESS = domain.Address(
    full_name="Ada Lovelace", address="1 Road", city="London", postal_code="N1", country="UK"
)


@pytest.fixture
def kenya():
    return ProductFactory(name="Kenya AA", price=Decimal("16.20"), stock=50)


def place_order(product, email="ada@example.com", quantity=1, paid=True):
    """An order placed and (unless ``paid`` is False) paid with the test gateway."""
    cart_id = uuid.uuid4()
    cart_add_item(cart_id=cart_id, product=product, quantity=quantity, context=SYSTEM)
    checkout = order_checkout(
        cart_id=cart_id,
        command_id=uuid.uuid4(),
        customer=domain.Customer(email=email),
        address=ADDRESS,
        context=SYSTEM,
    )
    if paid:
        assert pay(checkout.order_id).paid
    return checkout.order_id


class TestOrderEmails:
    def test_confirmation_once_paid_then_shipping_each_once(self, kenya):
        order_id = place_order(kenya, paid=False)
        drain()
        assert mail.outbox == []  # placed, not paid: no confirmation yet
        pay(order_id, "4000000000000002")  # declined: still none
        drain()
        assert mail.outbox == []
        pay(order_id)
        drain()
        order_mark_shipped(order_id=order_id, context=SYSTEM)
        drain()
        drain()
        number = OrderSummary.objects.get(order_id=order_id).number
        assert [m.subject for m in mail.outbox] == [
            f"Your Bean & Leaf order {number}",
            f"Your Bean & Leaf order {number} is on its way",
        ]
        assert all(m.to == ["ada@example.com"] for m in mail.outbox)
        confirmation = mail.outbox[0].body
        assert "Subtotal: 16.20 EUR\nShipping (Standard): 14.90 EUR\nTotal: 31.10 EUR\n" in (
            confirmation
        )
        assert "incl. VAT 19 %: 4.97 EUR" in confirmation  # 31.10 × 19/119 = 4.965…
        assert mail.outbox[0].extra_headers["Message-ID"] == (
            f"<order-confirmation.{order_id}@bean-and-leaf>"
        )
        assert "we received your payment" in mail.outbox[0].body
        assert Email.objects.filter(sent_at__isnull=False).count() == 2

    def test_a_checkpoint_replayed_from_zero_writes_no_second_email(self, kenya):
        place_order(kenya)
        drain()
        Checkpoint.objects.filter(name="order-emails").update(position=0)  # as after a crash
        drain()
        assert len(mail.outbox) == 1
        assert Email.objects.count() == 1

    def test_a_failing_email_is_retried_later_then_parked_and_others_go_on(self, kenya, settings):
        place_order(kenya, email="first@example.com")
        settings.MAILERS = REFUSING
        drain()
        first = Email.objects.get()
        assert (first.attempts, first.sent_at) == (1, None)
        assert "service not available" in first.last_error
        assert timedelta(seconds=4) < first.next_attempt_at - timezone.now() <= timedelta(seconds=5)
        settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
        place_order(kenya, email="second@example.com")
        drain()  # the first is not due yet: the second does not wait for it
        assert [m.to for m in mail.outbox] == [["second@example.com"]]

        settings.MAILERS = REFUSING
        now = timezone.now()
        delays = []
        for _ in emails.RETRY_DELAYS:
            first.refresh_from_db()
            now = first.next_attempt_at
            emails.send_due(now=now)
            first.refresh_from_db()
            delays.append(first.next_attempt_at - now)
        assert delays[:-1] == list(emails.RETRY_DELAYS[1:])  # 1 min … 8 h
        assert first.parked_at is not None and first.sent_at is None
        assert first.attempts == len(emails.RETRY_DELAYS) + 1
        assert emails.send_due(now=now + timedelta(days=30)) == 0  # parked: not tried again

    def test_staff_retry_a_parked_email(self, kenya, settings, client):
        place_order(kenya)
        settings.MAILERS = REFUSING
        drain()
        Email.objects.update(parked_at=timezone.now(), attempts=7)
        client.force_login(
            staff_user(
                permissions=[
                    ("subscriptions", "view_checkpoint"),
                    ("subscriptions", "change_parkedevent"),
                    ("subscriptions", "change_email"),
                ]
            )
        )
        page = client.get("/admin/subscriptions/checkpoint/")
        assert page.status_code == 200
        assert "Retry email to ada@example.com" in page.text
        email = Email.objects.get()
        settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
        response = client.post(f"/admin/subscriptions/checkpoint/retry-email/{email.pk}/")
        assert response.status_code == 302
        emails.send_due()
        assert len(mail.outbox) == 1
        email.refresh_from_db()
        assert email.sent_at is not None and email.parked_at is None


def test_a_batch_that_handles_nothing_commits_without_waiting_for_the_disk(kenya):
    """Shoppers filling carts give the order-email subscriber nothing to handle: its batch
    only moves the checkpoint, and that commit need not wait for the WAL flush
    (PostgreSQL). A batch that queues an email still waits."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    subscriber = core.get("order-emails")
    drain(send=False)
    cart_add_item(cart_id=uuid.uuid4(), product=kenya, quantity=1, context=SYSTEM)
    head = safe_mark()
    with CaptureQueriesContext(connection) as idle:
        assert core.run_batch(subscriber, up_to=head) == head
    assert Checkpoint.objects.get(name="order-emails").position == head
    place_order(kenya)
    head = safe_mark()
    with CaptureQueriesContext(connection) as busy:
        assert core.run_batch(subscriber, up_to=head) == head
    assert Email.objects.filter(to="ada@example.com").exists()
    lazy = [q["sql"] for q in idle if "synchronous_commit = off" in q["sql"]]
    assert len(lazy) == (1 if connection.vendor == "postgresql" else 0)
    assert not [q["sql"] for q in busy if "synchronous_commit" in q["sql"]]


class TestConfirmationPage:
    def test_says_a_confirmation_will_be_sent_never_that_it_was(self, client, kenya, settings):
        settings.MAILERS = REFUSING
        add_to_cart(client, kenya, 1)
        address = {
            "email": "ada@example.com",
            "full_name": "Ada",
            "address": "1 Road",
            "city": "London",
            "postal_code": "N1",
            "country": "GB",
        }
        response = client.post(
            "/checkout/",
            {**address, **checkout_fields(client, address)},
            follow=True,
        )
        assert response.status_code == 200
        assert "We will email a confirmation" not in response.text  # not before it is paid
        paid = client.post(
            response.request["PATH_INFO"],
            {
                "card_number": "4242 4242 4242 4242",
                "expiry": "12/40",
                "security_code": "123",
                "payment_id": response.context["form"].initial["payment_id"],
            },
            follow=True,
        )
        assert "We will email a confirmation to ada@example.com." in paid.text
        assert "We have sent" not in response.text


class TestPoisonEvents:
    def test_a_failing_event_is_parked_the_rest_handled_and_staff_retry_it(self, kenya, client):
        seen = []
        broken = {"on": True}

        def handle(recorded):
            if broken["on"] and recorded.event_type == "StockAdjusted":
                raise ValueError("cannot handle this one")
            seen.append(recorded.position)

        core.register(core.Subscriber(name="test-poison", handle=handle))
        try:
            place_order(kenya)
            drain(send=False)
            head = safe_mark()
            parked = ParkedEvent.objects.get(subscriber="test-poison")
            assert parked.event_type == "StockAdjusted"
            assert "cannot handle this one" in parked.error
            assert Checkpoint.objects.get(name="test-poison").position == head
            positions = set(Event.objects.values_list("position", flat=True))
            assert set(seen) == positions - {parked.position}

            client.force_login(
                staff_user(
                    permissions=[
                        ("subscriptions", "view_checkpoint"),
                        ("subscriptions", "change_parkedevent"),
                    ]
                )
            )
            page = client.get("/admin/subscriptions/checkpoint/")
            assert f"Retry event #{parked.position}" in page.text
            assert "test-poison" in page.text
            response = client.post(
                f"/admin/subscriptions/checkpoint/retry-event/{parked.pk}/", follow=True
            )
            assert "failed again" in response.text
            broken["on"] = False
            client.post(f"/admin/subscriptions/checkpoint/retry-event/{parked.pk}/")
            assert not ParkedEvent.objects.exists()
            assert parked.position in seen
        finally:
            core.unregister("test-poison")

    def test_the_status_page_shows_position_and_lag(self, kenya, client):
        place_order(kenya)
        client.force_login(staff_user(permissions=[("subscriptions", "view_checkpoint")]))
        page = client.get("/admin/subscriptions/checkpoint/")
        rows = {s.name: s for s in page.context["subscribers"]}
        head = safe_mark()
        assert rows["order-emails"].position == 0
        assert rows["order-emails"].events_behind == Event.objects.count()
        assert rows["order-emails"].head == head
        assert rows["order-emails"].seconds_behind >= 0
        drain()
        page = client.get("/admin/subscriptions/checkpoint/")
        rows = {s.name: s for s in page.context["subscribers"]}
        assert (rows["order-emails"].position, rows["order-emails"].events_behind) == (head, 0)
        assert client.post("/admin/subscriptions/checkpoint/retry-event/1/").status_code == 403


def customer_with_cart(product, *, username="ada", email="ada@example.com", consent=True):
    user = User.objects.create_user(username, email=email, password="pw-123456789")
    if consent is not None:
        EmailConsent.objects.create(user=user, cart_reminders=consent)
    cart_id = uuid.uuid4()
    cart_add_item(cart_id=cart_id, product=product, quantity=2, context=SYSTEM)
    CustomerCart.objects.create(user=user, cart_id=cart_id)
    return user, cart_id


class TestCartReminders:
    def later(self, hours=10.1):
        return timezone.now() + timedelta(hours=hours)

    def test_one_reminder_after_ten_quiet_hours_with_a_link(self, kenya, settings):
        settings.SHOP_BASE_URL = "https://shop.example.com"
        customer_with_cart(kenya)
        assert reminders.enqueue_due(now=self.later(9.9)) == 0
        assert reminders.enqueue_due(now=self.later()) == 1
        assert reminders.enqueue_due(now=self.later(30)) == 0  # never twice
        emails.send_due()
        assert len(mail.outbox) == 1
        assert mail.outbox[0].to == ["ada@example.com"]
        assert "https://shop.example.com/cart/" in mail.outbox[0].body
        assert "2 items" in mail.outbox[0].body

    def test_none_without_consent_or_address_or_after_checkout(self, kenya):
        customer_with_cart(kenya, username="no", email="no@example.com", consent=False)
        customer_with_cart(kenya, username="never", email="never@example.com", consent=None)
        customer_with_cart(kenya, username="noaddress", email="", consent=True)
        _, cart_id = customer_with_cart(kenya, username="bought", email="b@example.com")
        order_checkout(
            cart_id=cart_id,
            command_id=uuid.uuid4(),
            customer=domain.Customer(email="b@example.com"),
            address=ADDRESS,
            context=SYSTEM,
        )
        cart_add_item(cart_id=uuid.uuid4(), product=kenya, quantity=1, context=SYSTEM)  # a guest
        assert reminders.enqueue_due(now=self.later()) == 0
        assert not Email.objects.filter(kind="cart-reminder").exists()

    def test_a_queued_reminder_is_dropped_unsent_after_checkout(self, kenya):
        _, cart_id = customer_with_cart(kenya, username="quick", email="q@example.com")
        assert reminders.enqueue_due(now=self.later()) == 1  # queued, not yet sent
        order_checkout(
            cart_id=cart_id,
            command_id=uuid.uuid4(),
            customer=domain.Customer(email="q@example.com"),
            address=ADDRESS,
            context=SYSTEM,
        )
        emails.send_due()
        assert [m.subject for m in mail.outbox if "cart" in m.subject] == []
        assert not Email.objects.filter(kind="cart-reminder").exists()

    def test_a_queued_reminder_is_dropped_when_consent_is_withdrawn(self, kenya):
        user, _ = customer_with_cart(kenya)
        assert reminders.enqueue_due(now=self.later()) == 1
        EmailConsent.objects.filter(user=user).update(cart_reminders=False)
        emails.send_due()
        assert mail.outbox == []
        assert not Email.objects.filter(kind="cart-reminder").exists()

    def test_customers_choose_on_their_email_settings_page(self, client):
        user = User.objects.create_user("ada", email="ada@example.com", password="pw-123456789")
        assert client.get("/accounts/emails/").status_code == 302  # log in first
        client.force_login(user)
        page = client.get("/accounts/emails/")
        assert "Email me a reminder when I leave items in my cart" in page.text
        client.post("/accounts/emails/", {"cart_reminders": "on"})
        assert EmailConsent.objects.get(user=user).cart_reminders is True
        client.post("/accounts/emails/", {})
        assert EmailConsent.objects.get(user=user).cart_reminders is False


class TestOutbox:
    def test_public_events_are_written_with_the_event(self, kenya):
        order_id = place_order(kenya, quantity=3)
        messages = list(OutboxMessage.objects.order_by("event_position"))
        assert [m.routing_key for m in messages] == [
            "product.stock_changed",  # the factory's stock
            "order.placed",
            "product.stock_changed",
            "order.paid",
        ]
        placed = messages[1]
        event = Event.objects.get(position=placed.event_position)
        assert placed.body["id"] == str(event.position)
        assert placed.body["stream_id"] == str(order_id) == str(event.stream_id)
        # "UK" is no country code: the rest of the world's Standard shipping, 14.90.
        assert placed.body["data"]["subtotal"] == "48.60"
        assert placed.body["data"]["shipping"] == {"method": "Standard", "price": "14.90"}
        assert placed.body["data"]["total"] == "63.50"
        assert placed.body["data"]["vat"] == [{"rate": "19.00", "gross": "63.50", "vat": "10.14"}]
        assert placed.body["data"]["lines"][0]["quantity"] == 3
        line = placed.body["data"]["lines"][0]
        assert (line["variant_id"], line["sku"]) == (str(kenya.id), kenya.slug.upper())
        assert "customer" not in placed.body["data"]  # no personal data leaves the shop
        reserved = messages[2].body["data"]
        assert reserved["variant_id"] == str(kenya.id)  # its default (only) variant
        assert (reserved["cause"], reserved["change"], reserved["on_hand"]) == (
            "reserved",
            -3,
            47,
        )

    def test_nothing_for_a_rolled_back_event(self, kenya):
        class RolledBack(Exception):
            pass

        before = OutboxMessage.objects.count()
        with pytest.raises(RolledBack), transaction.atomic():
            place_order(kenya)
            raise RolledBack
        assert OutboxMessage.objects.count() == before

    def test_without_a_broker_nothing_is_relayed_and_nothing_fails(self, kenya, settings):
        settings.BROKER_URL = ""
        place_order(kenya)
        assert outbox.relay_due() == 0
        assert not OutboxMessage.objects.filter(published_at__isnull=False).exists()


def outbox_row(position: int, *, published_days_ago: float | None, created_days_ago: float = 30):
    """A message at a position no test event reaches (10**9 + ``position``)."""
    now = timezone.now()
    return OutboxMessage.objects.create(
        event_position=10**9 + position,
        routing_key="order.paid",
        body={"id": str(position)},
        created_at=now - timedelta(days=created_days_ago),
        published_at=None
        if published_days_ago is None
        else now - timedelta(days=published_days_ago),
    )


class TestOutboxPruning:
    def test_relayed_messages_older_than_the_keep_are_deleted_and_no_other(
        self, settings, monkeypatch
    ):
        settings.SHOP_OUTBOX_KEEP = timedelta(days=7)
        monkeypatch.setattr(outbox, "PRUNE_BATCH", 2)  # several batches
        for position in range(1, 6):
            outbox_row(position, published_days_ago=8)
        outbox_row(6, published_days_ago=6.9)  # relayed, not long enough ago
        outbox_row(7, published_days_ago=None)  # never relayed, however old
        outbox_row(8, published_days_ago=30)  # relayed after a message still waiting
        assert outbox.prune_published() == 6
        kept = OutboxMessage.objects.values_list("event_position", flat=True)
        assert sorted(kept) == [10**9 + 6, 10**9 + 7]
        assert outbox.prune_published() == 0

    def test_the_keep_is_a_setting(self, settings):
        outbox_row(1, published_days_ago=2)
        settings.SHOP_OUTBOX_KEEP = timedelta(days=3)
        assert outbox.prune_published() == 0
        settings.SHOP_OUTBOX_KEEP = timedelta(days=1)
        assert outbox.prune_published() == 1
        assert not OutboxMessage.objects.exists()

    def test_the_default_keeps_a_week(self):
        from shop.env import parse
        from tests.support.servers import shop_setting

        assert shop_setting("settings.SHOP_OUTBOX_KEEP.days", SHOP_OUTBOX_KEEP=None) == "7"
        assert shop_setting("settings.SHOP_OUTBOX_KEEP.days", SHOP_OUTBOX_KEEP="2d") == "2"
        assert parse("36h", timedelta) == timedelta(hours=36)


BROKER_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"


@pytest.fixture
def broker(settings):
    """The machine's RabbitMQ, with an exchange and a consumer queue of this test's own."""
    import pika

    suffix = uuid.uuid4().hex[:10]
    settings.BROKER_URL = BROKER_URL
    settings.BROKER_EXCHANGE = f"test.shop.events.{suffix}"
    connection = pika.BlockingConnection(pika.URLParameters(BROKER_URL))
    channel = connection.channel()
    channel.exchange_declare(settings.BROKER_EXCHANGE, exchange_type="topic", durable=True)
    queue = channel.queue_declare(f"test.consumer.{suffix}", exclusive=True).method.queue
    channel.queue_bind(queue, settings.BROKER_EXCHANGE, routing_key="#")
    yield channel, queue
    if outbox._relay is not None:
        outbox._relay.close()
    channel.exchange_delete(settings.BROKER_EXCHANGE)
    connection.close()


def consume(channel, queue) -> list:
    messages = []
    while True:
        method, properties, body = channel.basic_get(queue, auto_ack=True)
        if method is None:
            return messages
        messages.append((method.routing_key, properties, body))


class TestRelay:
    def test_messages_reach_rabbitmq_persistent_with_the_event_id(self, kenya, broker):
        import json

        channel, queue = broker
        place_order(kenya, quantity=2)
        expected = list(OutboxMessage.objects.order_by("event_position"))
        assert outbox.relay_due() == len(expected) == 4
        assert outbox.relay_due() == 0  # each is published once
        received = consume(channel, queue)
        assert [key for key, _, _ in received] == [m.routing_key for m in expected]
        for (_, properties, body), message in zip(received, expected, strict=True):
            assert properties.message_id == str(message.event_position)
            assert properties.delivery_mode == 2
            assert properties.content_type == "application/json"
            assert json.loads(body) == message.body
        assert not OutboxMessage.objects.filter(published_at__isnull=True).exists()

    def test_an_unreachable_broker_keeps_the_messages_for_later(self, kenya, broker, settings):
        channel, queue = broker
        place_order(kenya)
        settings.BROKER_URL = "amqp://guest:guest@127.0.0.1:1/%2F"  # nothing listens there
        with pytest.raises(outbox.RelayUnavailable):
            outbox.relay_due()
        assert not OutboxMessage.objects.filter(published_at__isnull=False).exists()
        settings.BROKER_URL = BROKER_URL
        assert outbox.relay_due() == OutboxMessage.objects.count()
        assert len(consume(channel, queue)) == OutboxMessage.objects.count()

    def test_the_worker_holding_the_relay_prunes_then_relays(self, kenya, broker, settings):
        from subscriptions.worker import PRUNE_EVERY, Worker

        channel, queue = broker
        settings.SHOP_OUTBOX_KEEP = timedelta(days=7)
        old = outbox_row(1, published_days_ago=8)
        place_order(kenya)
        waiting = OutboxMessage.objects.filter(published_at__isnull=True).count()
        worker = Worker()
        try:
            assert worker.run_relay() is False  # not its job yet
            assert OutboxMessage.objects.filter(pk=old.pk).exists()
            worker.held.add("relay")
            assert worker.run_relay() is True
            assert not OutboxMessage.objects.filter(pk=old.pk).exists()
            assert len(consume(channel, queue)) == waiting
            second = outbox_row(2, published_days_ago=8)
            worker.run_relay()  # within the hour: no second pruning
            assert OutboxMessage.objects.filter(pk=second.pk).exists()
            worker._next_prune -= PRUNE_EVERY
            worker.run_relay()
            assert not OutboxMessage.objects.filter(pk=second.pk).exists()
        finally:
            worker.shutdown()


class _Head:
    """A mark at the head of the log: in a test's own transaction nothing else writes."""

    def poll(self) -> int:
        return safe_mark()


def test_the_worker_clears_a_recorded_error_once_then_asks_no_more(kenya):
    """A subscriber's error left on its checkpoint row (by this worker or another) is cleared
    by its next clean round; later clean rounds send no statement about errors."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from subscriptions.worker import Worker

    worker = Worker()
    try:
        worker.held.add("subscriber:order-emails")
        core.record_error("order-emails", ValueError("the database said no"))
        place_order(kenya, email="first@example.com")
        worker.run_subscribers(_Head())
        assert Checkpoint.objects.get(name="order-emails").last_error == ""
        place_order(kenya, email="second@example.com")
        with CaptureQueriesContext(connection) as clean_round:
            worker.run_subscribers(_Head())
        assert not [
            q["sql"]
            for q in clean_round
            if q["sql"].startswith('UPDATE "subscriptions_checkpoint"') and "last_error" in q["sql"]
        ]
        assert Checkpoint.objects.get(name="order-emails").position == safe_mark()
        assert set(Email.objects.values_list("to", flat=True)) == {
            "first@example.com",
            "second@example.com",
        }
    finally:
        worker.shutdown()


def test_on_sqlite_a_job_runs_in_one_worker_until_its_holder_lets_go(tmp_path):
    first, second = locks.FileLocks(tmp_path), locks.FileLocks(tmp_path)
    try:
        assert first.try_acquire("mailer")
        assert not second.try_acquire("mailer")
        assert second.try_acquire("relay")
        first.close()  # as a dying process's file descriptors close
        assert second.try_acquire("mailer")
    finally:
        first.close()
        second.close()
