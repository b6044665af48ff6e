"""Guest orders follow the shopper into their account, at sign-up and at log-in (defect 5)."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from orders.models import OrderSummary
from shop import eventstore
from tests.factories import ProductFactory, add_to_cart
from tests.integration.test_checkout import place

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-enough-passphrase-42"


@pytest.fixture
def sencha():
    return ProductFactory(name="Sencha Uji", price=Decimal("11.20"), stock=10)


def guest_order(client, product, quantity=1) -> OrderSummary:
    add_to_cart(client, product, quantity)
    response, _ = place(client)
    assert response.status_code == 302
    return OrderSummary.objects.get(order_id=response["Location"].split("/")[2])


def sign_up(client, username="ada", **extra):
    data = {
        "username": username,
        "email": f"{username}@example.com",
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    return client.post("/accounts/signup/", data, **extra)


def event_types(order):
    return [e.event_type for e in eventstore.load(order.order_id)]


class TestAtSignUp:
    def test_orders_placed_as_a_guest_become_the_new_customers(self, client, sencha):
        first, second = guest_order(client, sencha), guest_order(client, sencha, 2)
        response = sign_up(client, follow=True)
        assert response.status_code == 200
        user = get_user_model().objects.get(username="ada")
        page = client.get("/orders/").content.decode()
        for order in (first, second):
            order.refresh_from_db()
            assert order.customer_id == user.pk
            assert order.number in page
            assert event_types(order) == ["OrderPlaced", "OrderClaimed"]
        claimed = eventstore.load(first.order_id)[-1]
        assert claimed.event.user_id == user.pk
        assert claimed.metadata["actor"] == f"user:{user.pk}"
        assert "are now in your account" in response.content.decode()

    def test_they_show_on_another_device_after_logging_in(self, client, sencha):
        order = guest_order(client, sencha)
        sign_up(client)
        laptop = Client()
        laptop.post("/accounts/login/", {"username": "ada", "password": PASSWORD})
        assert order.number in laptop.get("/orders/").content.decode()
        assert laptop.get(order.get_absolute_url()).status_code == 200

    def test_another_browsers_guest_orders_stay_where_they_are(self, client, sencha):
        stranger = Client()
        theirs = guest_order(stranger, sencha)
        guest_order(client, sencha)
        sign_up(client)
        theirs.refresh_from_db()
        assert theirs.customer_id is None
        assert event_types(theirs) == ["OrderPlaced"]
        assert theirs.number not in client.get("/orders/").content.decode()
        assert theirs.number in stranger.get("/orders/").content.decode()


class TestAtLogIn:
    def test_an_existing_customer_who_logs_in_claims_them(self, client, sencha):
        user = get_user_model().objects.create_user("ada", password=PASSWORD)
        order = guest_order(client, sencha)
        response = client.post(
            "/accounts/login/", {"username": "ada", "password": PASSWORD}, follow=True
        )
        order.refresh_from_db()
        assert order.customer_id == user.pk
        assert f"Your order {order.number} is now in your account." in response.content.decode()

    def test_logging_in_twice_claims_once(self, client, sencha):
        get_user_model().objects.create_user("ada", password=PASSWORD)
        order = guest_order(client, sencha)
        client.post("/accounts/login/", {"username": "ada", "password": PASSWORD})
        client.post("/accounts/login/", {"username": "ada", "password": PASSWORD})
        assert event_types(order) == ["OrderPlaced", "OrderClaimed"]

    def test_switching_accounts_takes_no_orders_along(self, client, sencha, django_user_model):
        ada = django_user_model.objects.create_user("ada", password=PASSWORD)
        django_user_model.objects.create_user("eve", password=PASSWORD)
        client.force_login(ada)
        order = guest_order(client, sencha)
        client.post("/accounts/login/", {"username": "eve", "password": PASSWORD})
        order.refresh_from_db()
        assert order.customer_id == ada.pk
        assert event_types(order) == ["OrderPlaced"]

    def test_the_projection_rebuilds_to_the_same_owner(self, client, sencha):
        order = guest_order(client, sencha)
        sign_up(client)
        owner = OrderSummary.objects.get(pk=order.pk).customer_id
        call_command("rebuild_projections", stdout=open("/dev/null", "w"))  # noqa: SIM115
        assert OrderSummary.objects.get(pk=order.pk).customer_id == owner is not None


class TestGuestOrderList:
    def test_a_guest_sees_this_sessions_orders_and_why_to_log_in(self, client, sencha):
        order = guest_order(client, sencha)
        response = client.get("/orders/")
        assert response.status_code == 200
        html = response.content.decode()
        assert order.number in html
        assert "Sign up" in html and "log in" in html
        assert "/accounts/signup/?next=/orders/" in html

    def test_a_guest_without_orders_is_told_so(self, client):
        html = client.get("/orders/").content.decode()
        assert "You have not placed any orders yet." in html
        assert "browser" in html

    def test_a_guest_does_not_see_claimed_orders_after_logging_out(self, client, sencha):
        order = guest_order(client, sencha)
        sign_up(client, follow=True)  # reads the welcome messages
        client.post("/accounts/logout/")
        assert order.number not in client.get("/orders/").content.decode()
