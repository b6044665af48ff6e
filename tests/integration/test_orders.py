"""Order pages (who may see what) and the staff's admin actions."""

import uuid
from decimal import Decimal

import pytest
from django.test import Client

from carts.models import Coupon
from carts.services import COUPON
from catalog.models import Product
from orders.models import OrderSummary
from shop import eventstore
from shop.unitofwork import load_state
from tests.factories import ProductFactory, add_to_cart, cart_id_of
from tests.integration.test_checkout import ADDRESS, apply_coupon, place
from tests.payments import pay

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/orders/ordersummary/"


@pytest.fixture
def product():
    return ProductFactory(name="Sencha Uji", price=Decimal("11.20"), stock=10)


@pytest.fixture
def customer(django_user_model):
    return django_user_model.objects.create_user("ada", "ada@example.com", "pw")


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_superuser("boss", "boss@example.com", "pw")


def order_by(client, product, quantity=1):
    add_to_cart(client, product, quantity)
    response, _ = place(client)
    assert response.status_code == 302
    return OrderSummary.objects.get(order_id=response["Location"].split("/")[2])


class TestWhoSeesAnOrder:
    def test_the_guest_session_that_placed_it(self, client, product):
        order = order_by(client, product)
        assert client.get(order.get_absolute_url()).status_code == 200

    def test_another_guest_gets_404(self, client, product):
        order = order_by(client, product)
        stranger = Client()
        add_to_cart(stranger, product, 1)  # has a session and a shopper id of its own
        assert stranger.get(order.get_absolute_url()).status_code == 404

    def test_the_customer_who_placed_it_on_any_device(self, client, product, customer):
        client.force_login(customer)
        order = order_by(client, product)
        assert order.customer_id == customer.pk
        other_device = Client()
        other_device.force_login(customer)
        assert other_device.get(order.get_absolute_url()).status_code == 200

    def test_another_customer_gets_404(self, client, product, customer, django_user_model):
        client.force_login(customer)
        order = order_by(client, product)
        other = Client()
        other.force_login(django_user_model.objects.create_user("eve", "eve@example.com", "pw"))
        response = other.get(order.get_absolute_url())
        assert response.status_code == 404
        assert b"Ada" not in response.content

    def test_a_guest_order_is_not_shown_to_a_customer(self, client, product, customer):
        order = order_by(client, product)
        other = Client()
        other.force_login(customer)
        assert other.get(order.get_absolute_url()).status_code == 404

    def test_staff_see_every_order(self, client, product, staff):
        order = order_by(client, product)
        admin = Client()
        admin.force_login(staff)
        response = admin.get(order.get_absolute_url())
        assert response.status_code == 200
        assert f"<h1>Order {order.number}</h1>" in response.content.decode()

    def test_unknown_or_malformed_ids(self, client):
        assert client.get(f"/orders/{uuid.uuid4()}/").status_code == 404
        assert client.get("/orders/not-a-uuid/").status_code == 404


class TestOrderList:
    def test_a_customer_sees_their_orders_with_status(self, client, product, customer):
        client.force_login(customer)
        order = order_by(client, product, 2)
        Client().post("/cart/add/", {"product": str(product.id), "quantity": 1})
        html = client.get("/orders/").content.decode()
        assert order.number in html and "Placed" in html and "27.30 EUR" in html  # + 4.90 shipping
        assert 'hx-history="false"' in html

    def test_only_their_own(self, client, product, customer, django_user_model):
        client.force_login(customer)
        order = order_by(client, product)
        other = Client()
        other.force_login(django_user_model.objects.create_user("eve", "eve@example.com", "pw"))
        html = other.get("/orders/").content.decode()
        assert order.number not in html
        assert "You have not placed any orders yet." in html

    def test_guests_see_their_sessions_orders_only(self, client, product):
        order = order_by(client, product)
        stranger = Client()
        add_to_cart(stranger, product, 1)
        assert order.number in client.get("/orders/").content.decode()
        response = stranger.get("/orders/")
        assert response.status_code == 200
        assert order.number not in response.content.decode()


@pytest.fixture
def admin_client_(staff):
    client = Client()
    client.force_login(staff)
    return client


def act(client, action, *orders):
    response = client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [str(o.order_id) for o in orders]},
        follow=True,
    )
    assert response.status_code == 200
    return [str(message) for message in response.context["messages"]]


def event_types(stream_id):
    return [e.event_type for e in eventstore.load(stream_id)]


class TestAdminActions:
    def test_staff_see_orders_in_the_admin(self, client, product, admin_client_):
        order = order_by(client, product)
        html = admin_client_.get(CHANGELIST).content.decode()
        assert order.number in html
        assert "Mark selected orders shipped" in html
        assert "Mark selected orders paid" not in html  # a capture pays an order, not staff
        assert f"/admin/shop/event/stream/{order.order_id}/" in html  # the order's timeline
        detail = admin_client_.get(f"{CHANGELIST}{order.order_id}/change/")
        assert detail.status_code == 200 and "Sencha Uji" in detail.content.decode()

    def test_paid_by_card_then_shipped_by_staff(self, client, product, admin_client_):
        order = order_by(client, product)
        assert pay(order.order_id).paid
        assert act(admin_client_, "mark_shipped", order) == ["1 order marked shipped."]
        order.refresh_from_db()
        assert order.status == "shipped"
        assert event_types(order.order_id) == [
            "OrderPlaced",
            "PaymentAuthorized",
            "PaymentCaptured",
            "OrderPaid",
            "OrderShipped",
        ]
        staff_id = admin_client_.session["_auth_user_id"]
        assert eventstore.load(order.order_id)[-1].metadata["actor"] == f"user:{staff_id}"

    def test_shipping_an_unpaid_order_is_refused_with_a_message(
        self, client, product, admin_client_
    ):
        order = order_by(client, product)
        assert act(admin_client_, "mark_shipped", order) == [
            f"Order {order.number}: This order cannot ship before it is paid."
        ]
        assert event_types(order.order_id) == ["OrderPlaced"]

    def test_shipping_a_cancelled_order_is_refused(self, client, product, admin_client_):
        order = order_by(client, product)
        act(admin_client_, "cancel", order)
        assert act(admin_client_, "mark_shipped", order) == [
            f"Order {order.number}: This order has been cancelled."
        ]
        order.refresh_from_db()
        assert order.status == "cancelled"

    def test_some_succeed_and_some_are_refused(self, client, product, admin_client_):
        first = order_by(client, product)
        second = order_by(client, product)
        pay(first.order_id)
        messages = act(admin_client_, "mark_shipped", first, second)
        assert f"Order {second.number}: This order cannot ship before it is paid." in messages
        assert "1 order marked shipped." in messages

    def test_cancel_releases_stock_and_the_coupon(self, client, product, admin_client_):
        coupon = Coupon.objects.create(code="BACK", value=10, max_redemptions=1)
        add_to_cart(client, product, 3)
        apply_coupon(uuid.UUID(cart_id_of(client)), coupon)
        place(client)
        order = OrderSummary.objects.get()
        assert order.coupon_code == "BACK"
        assert Product.objects.get(id=product.id).stock == 7
        coupon.refresh_from_db()
        assert coupon.redemptions == 1

        assert act(admin_client_, "cancel", order) == ["1 order cancelled."]

        order.refresh_from_db()
        assert order.status == "cancelled"
        assert Product.objects.get(id=product.id).stock == 10
        assert event_types(product.id)[-1] == "StockReleased"
        assert event_types(coupon.stream_id) == [
            "CouponRedeemed",
            "CouponRedemptionReleased",
        ]
        coupon.refresh_from_db()
        assert coupon.redemptions == 0
        usage = load_state(COUPON, coupon.stream_id).state
        assert usage.redemptions == 0
        # The released use can be redeemed again.
        again = Client()
        add_to_cart(again, product, 1)
        apply_coupon(uuid.UUID(cart_id_of(again)), coupon)
        assert place(again)[0].status_code == 302
        assert OrderSummary.objects.filter(coupon_code="BACK").count() == 2

    def test_cancelling_twice_releases_nothing_twice(self, client, product, admin_client_):
        order = order_by(client, product, 2)
        act(admin_client_, "cancel", order)
        assert act(admin_client_, "cancel", order) == [
            f"Order {order.number}: This order has been cancelled."
        ]
        assert Product.objects.get(id=product.id).stock == 10

    def test_staff_without_change_permission_get_no_actions(
        self, client, product, django_user_model
    ):
        from django.contrib.auth.models import Permission

        order = order_by(client, product)
        viewer = django_user_model.objects.create_user("view", "v@example.com", "pw", is_staff=True)
        viewer.user_permissions.add(Permission.objects.get(codename="view_ordersummary"))
        browser = Client()
        browser.force_login(viewer)
        html = browser.get(CHANGELIST).content.decode()
        assert order.number in html
        assert "Mark selected orders shipped" not in html
        pay(order.order_id)
        browser.post(
            CHANGELIST, {"action": "mark_shipped", "_selected_action": [str(order.order_id)]}
        )
        order.refresh_from_db()
        assert order.status == "paid"

    def test_the_admin_cannot_edit_or_delete_orders(self, client, product, admin_client_):
        order = order_by(client, product)
        url = f"{CHANGELIST}{order.order_id}/"
        assert admin_client_.get(url + "delete/").status_code == 403
        admin_client_.post(url + "change/", {**ADDRESS, "status": "shipped"})
        order.refresh_from_db()
        assert order.status == "placed"
