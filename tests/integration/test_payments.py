"""Paying an order on its payment page with the test gateway's cards, and what the shop
records: every card outcome, malformed cards, a double click, who may pay, the unpaid-order
sweep and a payment that arrives after the cancellation."""

import io
import re
import uuid
from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from carts.models import Coupon
from catalog.models import Product
from orders.models import OrderStep, OrderSummary
from orders.services import ORDER
from payments import services
from payments.models import GatewayOperation, Payment
from payments.testgateway import TestGateway
from shop import eventstore
from shop.models import Event
from shop.unitofwork import load_state
from tests.factories import ProductFactory, add_to_cart, cart_id_of
from tests.integration.test_checkout import apply_coupon, place
from tests.payments import pay

pytestmark = pytest.mark.django_db

GOOD = "4242 4242 4242 4242"


@pytest.fixture
def kenya():
    return ProductFactory(name="Kenya AA", price=Decimal("16.20"), stock=10)


def order_of(client, product, quantity=2):
    add_to_cart(client, product, quantity)
    response, _ = place(client)
    assert response.status_code == 302
    order = OrderSummary.objects.get(order_id=response["Location"].split("/")[2])
    assert response["Location"] == f"/orders/{order.order_id}/pay/"
    return order


def pay_url(order):
    return f"/orders/{order.order_id}/pay/"


def card_form(client, order, number=GOOD, expiry="12/40", code="123", **overrides):
    page = client.get(pay_url(order))
    assert page.status_code == 200
    return {
        "card_number": number,
        "expiry": expiry,
        "security_code": code,
        "payment_id": str(page.context["form"].initial["payment_id"]),
        **overrides,
    }


def post_card(client, order, number=GOOD, **fields):
    return client.post(pay_url(order), card_form(client, order, number, **fields))


def event_types(order):
    return [e.event_type for e in eventstore.load(order.order_id)]


def rows(order):
    return list(Event.objects.filter(stream_id=order.order_id).order_by("version"))


def captures():
    return GatewayOperation.objects.filter(kind="capture", approved=True).count()


def stored():
    """Everything a payment attempt could write."""
    return (Event.objects.count(), Payment.objects.count(), GatewayOperation.objects.count())


class TestCardOutcomes:
    def test_the_success_card_pays_the_order(self, client, kenya):
        order = order_of(client, kenya)
        page = client.get(pay_url(order)).content.decode()
        for label in ("Card number", "Expiry", "Security code"):
            assert re.search(rf'<label for="id_\w+">{label}</label>', page)
        assert '<button type="submit">Pay</button>' in page
        response = post_card(client, order)
        assert response.status_code == 302 and response["Location"] == order.get_absolute_url()
        order.refresh_from_db()
        assert order.status == "paid"
        assert order.captured == order.total == Decimal("37.30")
        assert event_types(order) == [
            "OrderPlaced",
            "PaymentAuthorized",
            "PaymentCaptured",
            "OrderPaid",
        ]
        authorized = rows(order)[1]
        assert authorized.data["card_last4"] == "4242"
        assert authorized.data["amount"] == {"amount": "37.30", "currency": "EUR"}
        assert captures() == 1
        page = client.get(order.get_absolute_url()).content.decode()
        assert "We received your payment of 37.30 EUR" in page
        assert f"<h1>Thank you! Your order {order.number}</h1>" in page

    @pytest.mark.parametrize(
        ("number", "field", "message", "reason"),
        [
            ("4000 0000 0000 0002", "card_number", "Your card was declined.", "declined"),
            (
                "4000 0000 0000 9995",
                "card_number",
                "declined for insufficient funds",
                "insufficient_funds",
            ),
            ("4000 0000 0000 0127", "security_code", "security code is incorrect", "incorrect_cvc"),
        ],
    )
    def test_a_declined_card_says_why_and_the_shopper_pays_again(
        self, client, kenya, number, field, message, reason
    ):
        order = order_of(client, kenya)
        response = post_card(client, order, number)
        assert response.status_code == 402
        html = response.content.decode()
        error = re.search(rf'<p class="field-error" id="id_{field}_error">([^<]*)</p>', html)
        assert error and message in error[1]
        helptext = f"id_{field}_helptext " if field == "security_code" else ""
        assert f'aria-describedby="{helptext}id_{field}_error"' in html
        assert f'value="{number}' not in html and 'name="card_number" value' not in html
        order.refresh_from_db()
        assert order.status == "placed" and order.captured == 0
        failed = rows(order)[-1]
        assert failed.event_type == "PaymentFailed"
        assert (failed.data["reason"], failed.data["card_last4"]) == (reason, number[-4:])
        assert captures() == 0
        # A new payment id on the page: the shopper tries another card.
        again = client.post(
            pay_url(order),
            {
                "card_number": GOOD,
                "expiry": "12/40",
                "security_code": "123",
                "payment_id": str(response.context["form"].initial["payment_id"]),
            },
        )
        assert again.status_code == 302
        order.refresh_from_db()
        assert order.status == "paid" and captures() == 1

    def test_any_other_well_formed_number_pays(self, client, kenya):
        order = order_of(client, kenya)
        assert post_card(client, order, "5555 5555 5555 4444").status_code == 302
        order.refresh_from_db()
        assert order.status == "paid"
        assert rows(order)[1].data["card_last4"] == "4444"

    def test_no_card_number_is_stored_anywhere(self, client, kenya):
        order = order_of(client, kenya)
        post_card(client, order, "4000 0000 0000 0002", code="739")
        post_card(client, order, code="739")

        def leaves(value, key=""):
            if isinstance(value, dict):
                for name, inner in value.items():
                    yield from leaves(inner, name)
            elif isinstance(value, list):
                for inner in value:
                    yield from leaves(inner, key)
            else:
                yield key, str(value)

        stored_values = [leaf for e in Event.objects.all() for leaf in leaves(e.data)]
        stored_values += [leaf for e in Event.objects.all() for leaf in leaves(e.metadata)]
        for row in [*Payment.objects.all(), *GatewayOperation.objects.all()]:
            stored_values += [(f.name, str(getattr(row, f.attname))) for f in row._meta.fields]
        assert stored_values
        for key, value in stored_values:
            assert "4242424242424242" not in value and "4000000000000002" not in value
            assert value != "739", key  # the security code, nowhere
            assert key not in ("card_number", "security_code", "number", "cvc")
        last4 = [value for key, value in stored_values if key == "card_last4"]
        assert sorted(last4) == ["0002", "4242"]


class TestMalformedCards:
    @pytest.mark.parametrize(
        ("fields", "field", "message"),
        [
            ({"number": "4242 4242 4242 4241"}, "card_number", "not valid"),
            ({"number": "4242 abcd 4242 4242"}, "card_number", "digits only"),
            ({"number": "4242"}, "card_number", "12 to 19 digits"),
            ({"number": ""}, "card_number", "Enter your card number."),
            ({"expiry": "13/40"}, "expiry", "MM/YY"),
            ({"expiry": "01/20"}, "expiry", "This card has expired."),
            ({"expiry": "soon"}, "expiry", "MM/YY"),
            ({"code": "12"}, "security_code", "3 or 4 digits"),
            ({"code": "12a"}, "security_code", "3 or 4 digits"),
        ],
    )
    def test_a_clear_message_a_422_and_nothing_stored_or_charged(
        self, client, kenya, fields, field, message
    ):
        order = order_of(client, kenya)
        data = card_form(client, order, **fields)
        before = stored()
        response = client.post(pay_url(order), data)
        assert response.status_code == 422
        html = response.content.decode()
        error = re.search(rf'<p class="field-error" id="id_{field}_error">([^<]*)</p>', html)
        assert error and message in error[1]
        assert stored() == before
        assert "<form" in html and '<button type="submit">Pay</button>' in html

    @pytest.mark.parametrize("payment_id", ["", "not-a-uuid", '{"id": 1}', "42"])
    def test_a_forged_payment_id_is_refused_and_nothing_stored(self, client, kenya, payment_id):
        order = order_of(client, kenya)
        data = card_form(client, order, payment_id=payment_id)
        before = stored()
        response = client.post(pay_url(order), data)
        assert response.status_code == 422
        assert "This payment form is out of date" in response.content.decode()
        assert stored() == before


class TestDoubleClick:
    def test_the_same_form_twice_charges_once(self, client, kenya):
        order = order_of(client, kenya)
        data = card_form(client, order)
        first = client.post(pay_url(order), data)
        second = client.post(pay_url(order), data)
        assert first.status_code == second.status_code == 302
        assert captures() == 1
        assert event_types(order).count("PaymentCaptured") == 1
        assert Payment.objects.get().status == "captured"

    def test_the_service_twice_with_one_payment_id_is_one_payment(self, client, kenya):
        order = order_of(client, kenya)
        payment_id = uuid.uuid4()
        assert pay(order.order_id, payment_id=payment_id).paid
        assert pay(order.order_id, payment_id=payment_id).paid
        assert captures() == 1
        assert event_types(order).count("PaymentAuthorized") == 1

    def test_a_second_form_while_one_payment_is_live_is_refused(self, client, kenya):
        order = order_of(client, kenya)
        Payment.objects.create(  # another tab's payment, under way
            payment_id=uuid.uuid4(),
            order_id=order.order_id,
            amount=order.total,
            currency="EUR",
            created_at=timezone.now(),
            updated_at=timezone.now(),
        )
        response = post_card(client, order)
        assert response.status_code == 409
        assert "already under way" in response.content.decode()
        assert captures() == 0

    def test_a_paid_order_is_not_paid_again(self, client, kenya):
        order = order_of(client, kenya)
        post_card(client, order)
        response = client.get(pay_url(order))
        assert response.status_code == 302
        assert captures() == 1


class TestWhoMayPay:
    def test_another_guest_gets_404(self, client, kenya):
        order = order_of(client, kenya)
        stranger = Client()
        add_to_cart(stranger, kenya, 1)
        assert stranger.get(pay_url(order)).status_code == 404
        assert stranger.post(pay_url(order), card_form(client, order)).status_code == 404
        assert captures() == 0

    def test_forged_or_unknown_order_ids_get_404(self, client, kenya):
        order_of(client, kenya)
        assert client.get(f"/orders/{uuid.uuid4()}/pay/").status_code == 404
        assert client.get("/orders/not-an-id/pay/").status_code == 404

    def test_staff_see_the_order_but_do_not_pay_it(self, client, kenya, django_user_model):
        order = order_of(client, kenya)
        staff = Client()
        staff.force_login(django_user_model.objects.create_superuser("boss", "b@x.org", "pw"))
        assert staff.get(order.get_absolute_url()).status_code == 200
        assert staff.get(pay_url(order)).status_code == 404

    def test_a_customer_pays_from_another_device(self, client, kenya, django_user_model):
        customer = django_user_model.objects.create_user("ada", "ada@example.com", "pw")
        client.force_login(customer)
        order = order_of(client, kenya)
        phone = Client()
        phone.force_login(customer)
        assert post_card(phone, order).status_code == 302


class TestUnpaidOrders:
    def test_cancelled_after_the_timeout_with_stock_and_coupon_released(self, client, kenya):
        coupon = Coupon.objects.create(code="BACK", value=10, max_redemptions=1)
        add_to_cart(client, kenya, 3)
        apply_coupon(uuid.UUID(cart_id_of(client)), coupon)
        place(client)
        order = OrderSummary.objects.get()
        fresh = order_of(Client(), kenya, 1)
        assert Product.objects.get(id=kenya.id).stock == 6
        coupon.refresh_from_db()
        assert coupon.redemptions == 1

        # 29 minutes on: nothing happens yet.
        assert services.expire_unpaid_orders(now=order.placed_at + timedelta(minutes=29)) == (
            services.Sweep()
        )
        sweep = services.expire_unpaid_orders(now=order.placed_at + timedelta(minutes=31))
        assert sweep.cancelled == 2
        order.refresh_from_db()
        fresh.refresh_from_db()
        assert order.status == fresh.status == "cancelled"
        assert Product.objects.get(id=kenya.id).stock == 10
        coupon.refresh_from_db()
        assert coupon.redemptions == 0
        assert event_types(order)[-1] == "OrderCancelled"
        assert rows(order)[-1].data["reason"] == "Not paid within 30 minutes."
        # Run again: nothing more happens.
        assert services.expire_unpaid_orders(now=order.placed_at + timedelta(minutes=40)) == (
            services.Sweep()
        )
        # The shopper's pay page now says so.
        response = client.get(pay_url(order), follow=True)
        assert "This order has been cancelled" in response.content.decode()

    def test_paid_orders_are_left_alone(self, client, kenya):
        order = order_of(client, kenya)
        post_card(client, order)
        services.expire_unpaid_orders(now=timezone.now() + timedelta(hours=2))
        order.refresh_from_db()
        assert order.status == "paid"

    def test_the_management_command(self, client, kenya, settings):
        order = order_of(client, kenya)
        settings.SHOP_UNPAID_ORDER_TIMEOUT = timedelta(0)
        out = io.StringIO()
        call_command("expire_unpaid_orders", stdout=out)
        assert "Cancelled 1 unpaid order(s)" in out.getvalue()
        order.refresh_from_db()
        assert order.status == "cancelled"
        assert rows(order)[-1].data["reason"] == "Not paid within 0 minutes."


class TestLatePayments:
    def test_a_payment_captured_after_the_cancellation_is_refunded(self, client, kenya):
        order = order_of(client, kenya)
        real_capture = TestGateway.capture

        def capture_after_the_sweep(gateway, **kwargs):
            # The sweep cancels the order while the provider captures its payment.
            services.expire_unpaid_orders(now=timezone.now() + timedelta(hours=1))
            return real_capture(gateway, **kwargs)

        with mock.patch.object(TestGateway, "capture", capture_after_the_sweep):
            response = post_card(client, order)
        assert response.status_code == 302
        order.refresh_from_db()
        assert order.status == "cancelled"
        assert event_types(order) == [
            "OrderPlaced",
            "PaymentAuthorized",
            "OrderCancelled",
            "PaymentCaptured",
            "RefundRequested",
            "PaymentRefunded",
        ]
        assert order.captured == order.refunded == Decimal("37.30")
        assert order.refund_pending == 0
        refund = GatewayOperation.objects.get(kind="refund")
        assert refund.approved and refund.amount == Decimal("37.30")
        page = client.get(order.get_absolute_url()).content.decode()
        assert "Refunded 37.30 EUR" in page and "The order was cancelled." in page

    def test_a_refund_interrupted_after_a_late_capture_is_made_by_the_sweep(self, client, kenya):
        order = order_of(client, kenya)
        payment_id = uuid.uuid4()
        pay(order.order_id, payment_id=payment_id)  # paid …
        # … then, as if the capture had landed after a cancellation and the process died
        # before refunding: cancelled, money still captured.
        from orders.services import order_cancel

        order_cancel(order_id=order.order_id, context=services.SWEEP)
        order.refresh_from_db()
        assert order.status == "cancelled" and order.captured - order.refunded == order.total
        sweep = services.expire_unpaid_orders()
        assert sweep.refunded == 1
        order.refresh_from_db()
        assert order.refunded == order.captured
        assert load_state(ORDER, order.order_id).state.refundable.amount == 0
        assert services.expire_unpaid_orders().refunded == 0  # once

    def test_the_sweep_finishes_a_capture_a_crash_interrupted(self, client, kenya):
        order = order_of(client, kenya)
        with (
            mock.patch.object(TestGateway, "capture", side_effect=ConnectionError("lost")),
            pytest.raises(ConnectionError),
        ):
            pay(order.order_id)
        payment = Payment.objects.get()
        assert payment.status == "authorized"
        order.refresh_from_db()
        assert order.status == "placed"
        sweep = services.expire_unpaid_orders(now=timezone.now() + timedelta(minutes=2))
        assert sweep.resumed == 1 and sweep.cancelled == 0
        order.refresh_from_db()
        assert order.status == "paid" and captures() == 1

    def test_the_sweep_gives_up_on_an_authorization_nobody_answered(self, client, kenya):
        order = order_of(client, kenya)
        with (
            mock.patch.object(TestGateway, "authorize", side_effect=ConnectionError("lost")),
            pytest.raises(ConnectionError),
        ):
            pay(order.order_id)
        assert Payment.objects.get().status == "started"
        sweep = services.expire_unpaid_orders(now=timezone.now() + timedelta(minutes=6))
        assert sweep.abandoned == 1
        assert Payment.objects.get().status == "failed"
        assert post_card(client, order).status_code == 302  # the order can be paid again
        order.refresh_from_db()
        assert order.status == "paid"


class TestOrderStory:
    def test_steps_as_the_order_page_tells_them(self, client, kenya):
        order = order_of(client, kenya)
        post_card(client, order, "4000 0000 0000 0002")
        post_card(client, order)
        steps = list(OrderStep.objects.filter(order=order).values_list("kind", flat=True))
        assert steps == ["payment_failed", "paid"]  # placed: the summary says when
        html = client.get(order.get_absolute_url()).content.decode()
        assert "What happened" in html
        assert "Placed (37.30 EUR)." in html
        assert "Payment declined: card ending 0002: the card was declined." in html
        assert "Paid 37.30 EUR." in html
        assert html.count("<time datetime=") == 3


def test_staff_read_payments_and_the_gateways_ledger(client, kenya, django_user_model):
    order = order_of(client, kenya)
    post_card(client, order, "4000 0000 0000 0002")
    post_card(client, order)
    staff = Client()
    staff.force_login(django_user_model.objects.create_superuser("boss", "b@x.org", "pw"))
    payments = staff.get("/admin/payments/payment/").content.decode()
    assert payments.count("Failed") >= 1 and "Captured" in payments
    ledger = staff.get("/admin/payments/gatewayoperation/").content.decode()
    assert "insufficient" not in ledger and "declined" in ledger
    assert "4242424242424242" not in payments + ledger
    assert staff.get("/admin/payments/payment/add/").status_code == 403


def test_the_worker_runs_the_sweep_once_a_minute(client, kenya, settings):
    from subscriptions.worker import Worker, job_names

    assert "unpaid-orders" in job_names()
    order = order_of(client, kenya)
    settings.SHOP_UNPAID_ORDER_TIMEOUT = timedelta(0)
    worker = Worker()
    worker.held = {"unpaid-orders"}
    worker._next_reminders = worker._next_prune = worker._next_unpaid = 0.0
    worker.run_mailer()
    order.refresh_from_db()
    assert order.status == "cancelled"
    second = order_of(client, kenya, 1)
    worker.run_mailer()  # within the minute: not again yet
    second.refresh_from_db()
    assert second.status == "placed"


def test_the_order_list_offers_to_pay_what_awaits_payment(client, kenya):
    order = order_of(client, kenya)
    assert f'href="{pay_url(order)}">pay now</a>' in client.get("/orders/").content.decode()
    post_card(client, order)
    assert pay_url(order) not in client.get("/orders/").content.decode()
