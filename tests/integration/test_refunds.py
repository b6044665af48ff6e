"""Refunds and returns from the order's admin page: whole, by line, by amount; never more
than was captured; returns put units back in stock; the shopper's order page tells it."""

import io
import re
import uuid
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog.models import Product
from orders.models import OrderLine, OrderSummary
from orders.services import ORDER, order_mark_shipped
from payments.forms import RefundForm
from payments.models import GatewayOperation
from shop import eventstore
from shop.models import Event
from shop.unitofwork import load_state
from subscriptions.models import OutboxMessage
from tests.factories import SYSTEM, ProductFactory, add_to_cart
from tests.integration.test_checkout import place
from tests.payments import pay

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/orders/ordersummary/"


@pytest.fixture
def kenya():
    return ProductFactory(name="Kenya AA", price=Decimal("16.20"), stock=10)


@pytest.fixture
def mug():
    return ProductFactory(name="Mug", price=Decimal("9.00"), stock=5)


@pytest.fixture
def staff(django_user_model):
    client = Client()
    client.force_login(django_user_model.objects.create_superuser("boss", "b@example.com", "pw"))
    return client


@pytest.fixture
def paid(client, kenya, mug):
    """2 Kenya AA and 1 Mug (41.40 EUR) with Standard shipping (4.90 EUR): 46.30 EUR, paid."""
    add_to_cart(client, kenya, 2)
    add_to_cart(client, mug, 1)
    response, _ = place(client)
    order = OrderSummary.objects.get(order_id=response["Location"].split("/")[2])
    assert pay(order.order_id).paid
    order.refresh_from_db()
    return order


def refund_url(order):
    return f"{CHANGELIST}{order.order_id}/refund/"


def return_url(order):
    return f"{CHANGELIST}{order.order_id}/return/"


def units(product):
    return f"units_{product.id.hex}"


def form_of(staff, url):
    page = staff.get(url)
    assert page.status_code == 200
    form = page.context["form"]
    hidden = "refund_id" if "refund_id" in form.fields else "return_id"
    return {hidden: str(form.initial[hidden])}


def refund(staff, order, **data):
    return staff.post(refund_url(order), {**form_of(staff, refund_url(order)), **data})


def left(order):
    return load_state(ORDER, order.order_id).state.refundable.amount


def event_types(order):
    return [e.event_type for e in eventstore.load(order.order_id)]


def refunded_by_gateway():
    return sum(
        op.amount for op in GatewayOperation.objects.filter(kind="refund", approved=True)
    ) or Decimal(0)


class TestRefunds:
    def test_the_order_page_links_to_refund(self, staff, paid):
        html = staff.get(f"{CHANGELIST}{paid.order_id}/change/").content.decode()
        assert f'href="{refund_url(paid)}"' in html
        page = staff.get(refund_url(paid)).content.decode()
        assert "46.30 EUR left to refund" in page
        for label in ("Refund everything that is left", "Amount", "Kenya AA: units to refund"):
            assert label in page

    def test_a_whole_refund(self, staff, paid):
        response = refund(staff, paid, whole="on", reason="Changed my mind")
        assert response.status_code == 302
        paid.refresh_from_db()
        assert paid.refunded == paid.captured == Decimal("46.30")
        assert event_types(paid)[-2:] == ["RefundRequested", "PaymentRefunded"]
        assert refunded_by_gateway() == Decimal("46.30")
        assert {line.refunded_quantity for line in paid.lines.all()} == {2, 1}
        assert left(paid) == 0
        # Nothing is left: another refund is refused beside the amount, nothing stored.
        before = Event.objects.count()
        again = refund(staff, paid, amount="0.01")
        assert again.status_code == 422
        assert "At most 0.00 EUR is left to refund." in again.content.decode()
        assert Event.objects.count() == before

    def test_a_refund_by_line_and_quantity(self, staff, paid, kenya):
        response = refund(staff, paid, **{units(kenya): "1"})
        assert response.status_code == 302
        paid.refresh_from_db()
        assert paid.refunded == Decimal("16.20")
        line = paid.lines.get(product_id=kenya.id)
        assert line.refunded_quantity == 1
        # The line has one unit left to refund: two are refused beside its field.
        over = refund(staff, paid, **{units(kenya): "2"})
        assert over.status_code == 422
        assert "At most 1 of this line can be refunded." in over.content.decode()

    def test_a_refund_of_an_amount(self, staff, paid):
        assert refund(staff, paid, amount="10.05").status_code == 302
        assert refund(staff, paid, amount="36.25").status_code == 302
        paid.refresh_from_db()
        assert paid.refunded == Decimal("46.30") and left(paid) == 0
        assert refunded_by_gateway() == Decimal("46.30")

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            ({"amount": "46.31"}, "At most 46.30 EUR is left to refund."),
            ({"amount": "0"}, "Enter an amount above zero."),
            ({"amount": "-5"}, "Enter an amount above zero."),
            ({"amount": "1.234"}, "Enter at most 2 decimal places."),
            ({"amount": "ten"}, "Enter an amount such as 12.50."),
            ({}, "Tick “Refund everything that is left”"),
            ({"whole": "on", "amount": "1.00"}, "not both"),
        ],
    )
    def test_bad_amounts_are_form_errors_and_store_nothing(self, staff, paid, data, message):
        before = (Event.objects.count(), GatewayOperation.objects.count())
        response = refund(staff, paid, **data)
        assert response.status_code == 422
        assert message in response.content.decode()
        assert (Event.objects.count(), GatewayOperation.objects.count()) == before

    def test_the_same_form_twice_refunds_once(self, staff, paid):
        data = {**form_of(staff, refund_url(paid)), "amount": "5.00"}
        assert staff.post(refund_url(paid), data).status_code == 302
        assert staff.post(refund_url(paid), data).status_code == 302
        paid.refresh_from_db()
        assert paid.refunded == Decimal("5.00")
        assert GatewayOperation.objects.filter(kind="refund").count() == 1

    def test_an_unpaid_order_has_nothing_to_refund(self, staff, client, kenya):
        add_to_cart(client, kenya, 1)
        response, _ = place(client)
        order = OrderSummary.objects.get(order_id=response["Location"].split("/")[2])
        html = staff.get(f"{CHANGELIST}{order.order_id}/change/").content.decode()
        assert refund_url(order) not in html
        answer = refund(staff, order, amount="1.00")
        assert answer.status_code == 422
        assert "At most 0.00 EUR is left to refund." in answer.content.decode()

    def test_staff_without_change_permission_cannot_refund(self, paid, django_user_model):
        from django.contrib.auth.models import Permission

        viewer = django_user_model.objects.create_user("v", "v@example.com", "pw", is_staff=True)
        viewer.user_permissions.add(Permission.objects.get(codename="view_ordersummary"))
        client = Client()
        client.force_login(viewer)
        assert client.get(refund_url(paid)).status_code == 403
        assert client.post(refund_url(paid), {"whole": "on"}).status_code == 403

    def test_cancelling_a_paid_order_refunds_it(self, staff, paid, kenya):
        staff.post(CHANGELIST, {"action": "cancel", "_selected_action": [str(paid.order_id)]})
        paid.refresh_from_db()
        assert paid.status == "cancelled" and paid.refunded == Decimal("46.30")
        assert Product.objects.get(id=kenya.id).stock == 10

    def test_the_refund_is_a_public_message(self, staff, paid, kenya):
        refund(staff, paid, **{units(kenya): "1"})
        message = OutboxMessage.objects.get(routing_key="order.refunded")
        assert message.body["data"]["amount"] == "16.20"
        assert message.body["data"]["lines"] == [
            {"product_id": str(kenya.id), "variant_id": str(kenya.id), "quantity": 1}
        ]


FUZZ = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
HOSTILE = st.one_of(
    st.text(max_size=20),
    st.decimals(allow_nan=True, allow_infinity=True, places=3).map(str),
    st.integers(-(10**6), 10**6).map(str),
    st.sampled_from(["", "on", "0.01", "46.30", "46.31", "1e9", '{"amount": 1}', "null", "-0"]),
)


def test_fuzzed_refunds_never_exceed_the_capture(staff, paid, kenya, mug):
    """Every field, the hidden refund id too: never a 500, a 4xx stores nothing, and the
    refunds never add up to more than was captured."""

    @FUZZ
    @given(
        fields=st.dictionaries(
            st.sampled_from(["whole", "amount", units(kenya), units(mug), "reason", "refund_id"]),
            HOSTILE,
            max_size=4,
        )
    )
    def check(fields):
        data = {**form_of(staff, refund_url(paid)), **fields}
        before = (Event.objects.count(), refunded_by_gateway())
        response = staff.post(refund_url(paid), data)
        assert response.status_code in (302, 422), (data, response.status_code)
        if response.status_code == 422:
            assert (Event.objects.count(), refunded_by_gateway()) == before
        paid.refresh_from_db()
        assert paid.refunded <= paid.captured
        assert refunded_by_gateway() == paid.refunded
        for line in OrderLine.objects.filter(order=paid):
            assert 0 <= line.refunded_quantity <= line.quantity

    check()


class TestReturns:
    def test_received_units_go_back_in_stock_in_one_unit_of_work(self, staff, paid, kenya):
        html = staff.get(f"{CHANGELIST}{paid.order_id}/change/").content.decode()
        assert return_url(paid) not in html  # not shipped yet
        order_mark_shipped(order_id=paid.order_id, context=SYSTEM)
        html = staff.get(f"{CHANGELIST}{paid.order_id}/change/").content.decode()
        assert f'href="{return_url(paid)}"' in html
        assert Product.objects.get(id=kenya.id).stock == 8
        data = {**form_of(staff, return_url(paid)), units(kenya): "2"}
        response = staff.post(return_url(paid), data)
        assert response.status_code == 302
        assert Product.objects.get(id=kenya.id).stock == 10
        assert paid.lines.get(product_id=kenya.id).returned_quantity == 2
        returned = Event.objects.get(stream_id=paid.order_id, event_type="ReturnReceived")
        released = Event.objects.filter(stream_id=kenya.id).order_by("-version").first()
        assert released.event_type == "StockReleased"
        assert released.metadata["command_id"] == returned.metadata["command_id"]
        assert staff.post(return_url(paid), data).status_code == 302  # the same form again
        assert Product.objects.get(id=kenya.id).stock == 10
        over = staff.post(return_url(paid), {**form_of(staff, return_url(paid)), units(kenya): "1"})
        assert over.status_code == 422
        assert "At most 0 of this line can be returned." in over.content.decode()
        assert OutboxMessage.objects.filter(routing_key="order.returned").count() == 1

    def test_a_return_before_shipping_is_refused(self, staff, paid, kenya):
        before = Event.objects.count()
        response = staff.post(
            return_url(paid), {**form_of(staff, return_url(paid)), units(kenya): "1"}
        )
        assert response.status_code == 422
        assert "only once the order has shipped" in response.content.decode()
        assert Event.objects.count() == before

    def test_nothing_entered_is_a_form_error(self, staff, paid):
        order_mark_shipped(order_id=paid.order_id, context=SYSTEM)
        response = staff.post(return_url(paid), form_of(staff, return_url(paid)))
        assert response.status_code == 422
        assert "Enter how many units of a line came back." in response.content.decode()


def test_the_order_story_and_no_drift(client, staff, paid, kenya):
    refund(staff, paid, **{units(kenya): "1"}, reason="A damaged bag")
    order_mark_shipped(order_id=paid.order_id, context=SYSTEM)
    staff.post(return_url(paid), {**form_of(staff, return_url(paid)), units(kenya): "1"})
    html = client.get(paid.get_absolute_url()).content.decode()
    story = re.search(r'<ol class="order-story".*?</ol>', html, re.S)[0]
    told = [
        re.sub(r"\s+", " ", item).strip() for item in re.findall(r"</time>:(.*?)</li>", story, re.S)
    ]
    assert told == [
        "Placed (46.30 EUR).",
        "Paid 46.30 EUR.",
        "Refunded 16.20 EUR for 1 × Kenya AA (A damaged bag).",
        "Shipped.",
        "Returned: 1 × Kenya AA, back in our stock.",
    ]
    assert len(re.findall(r'<time datetime="\d{4}-\d\d-\d\dT', story)) == 5
    out = io.StringIO()
    call_command("rebuild_projections", "--check", stdout=out)
    assert "No drift" in out.getvalue()


def test_refund_form_orders_its_fields(paid):
    form = RefundForm(
        initial={"refund_id": uuid.uuid4()},
        lines=paid.lines.all(),
        left=lambda product_id: 1,
        left_to_refund=paid.total_money,
    )
    assert list(form.fields)[:2] == ["whole", "amount"]
    assert list(form.fields)[-2:] == ["reason", "refund_id"] or "reason" in form.fields


@pytest.mark.parametrize("refund_id", ["", "x", '{"id": 1}', "12"])
def test_a_forged_refund_id_says_the_form_is_stale(staff, paid, refund_id):
    before = Event.objects.count()
    response = staff.post(refund_url(paid), {"refund_id": refund_id, "amount": "1.00"})
    assert response.status_code == 422
    assert "This form is out of date. Please reload the page." in response.content.decode()
    assert Event.objects.count() == before
