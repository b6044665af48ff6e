"""Sign up, log in, log out, and the guest cart merging into the customer's on login."""

import uuid

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.middleware import SessionMiddleware
from django.test import Client, RequestFactory

from carts import services
from carts.domain import CartClosed, Line
from carts.models import CartLine, CustomerCart
from carts.session import SESSION_KEY, current_cart_id, ensure_cart_id, forget_cart
from catalog.services import product_adjust_stock
from shop import eventstore
from tests.factories import PASSWORD, SYSTEM, add_to_cart, cart_id_of, sign_up

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer():
    return get_user_model().objects.create_user("ada", password=PASSWORD)


def log_in(client, username="ada", password=PASSWORD, **extra):
    return client.post("/accounts/login/", {"username": username, "password": password}, **extra)


def lines_of(cart_id):
    return {
        line.product.name: line.quantity
        for line in CartLine.objects.filter(cart_id=cart_id).select_related("product")
    }


def types(cart_id):
    return [e.event_type for e in eventstore.load(cart_id)]


@pytest.fixture
def customer_cart(customer, kenya):
    """Ada's cart, started in another browser: 3 × Kenya AA."""
    laptop = Client()
    log_in(laptop)
    add_to_cart(laptop, kenya, 3)
    return uuid.UUID(cart_id_of(laptop))


class TestSignUpLogInLogOut:
    def test_sign_up_logs_in_and_keeps_the_guest_cart(self, client, kenya):
        add_to_cart(client, kenya, 2)
        guest = uuid.UUID(cart_id_of(client))
        response = sign_up(client, "grace")
        assert response.status_code == 302
        user = get_user_model().objects.get(username="grace")
        assert client.session["_auth_user_id"] == str(user.pk)
        assert CustomerCart.objects.get(user=user).cart_id == guest  # taken over, not merged
        assert types(guest) == ["ItemAdded"]
        html = client.get("/cart/").content.decode()
        assert "Signed in as grace" in html and "Cart (2)" in html

    def test_sign_up_refuses_bad_input(self, client):
        response = client.post(
            "/accounts/signup/", {"username": "", "password1": "x", "password2": "y"}
        )
        assert response.status_code == 422
        assert not get_user_model().objects.exists()

    def test_login_rotates_the_session_id(self, client, customer, kenya):
        add_to_cart(client, kenya, 1)
        before = client.session.session_key
        assert log_in(client).status_code == 302
        assert client.session.session_key != before

    def test_wrong_password_logs_nobody_in(self, client, customer, kenya):
        add_to_cart(client, kenya, 1)
        response = log_in(client, password="wrong")
        assert response.status_code == 200
        assert b"Please enter a correct username and password" in response.content
        assert "_auth_user_id" not in client.session
        assert not CustomerCart.objects.exists()

    def test_logout_is_post_only_and_flushes_the_session(self, client, customer, kenya):
        log_in(client)
        add_to_cart(client, kenya, 1)
        assert client.get("/accounts/logout/").status_code == 405
        assert client.post("/accounts/logout/").status_code == 302
        assert SESSION_KEY not in client.session
        assert "Cart (0)" in client.get("/").content.decode()

    def test_the_cart_follows_the_customer_across_browsers(self, customer_cart, kenya):
        phone = Client()
        log_in(phone)
        assert uuid.UUID(cart_id_of(phone)) == customer_cart
        html = phone.get("/cart/").content.decode()
        assert "Kenya AA" in html and "Cart (3)" in html
        add_to_cart(phone, kenya, 1)
        assert lines_of(customer_cart) == {"Kenya AA": 4}
        event = eventstore.load(customer_cart)[-1]
        assert event.metadata["actor"] == f"user:{get_user_model().objects.get().pk}"


class TestMergeOnLogin:
    def test_guest_cart_merges_into_the_customers(self, client, customer_cart, kenya, assam):
        add_to_cart(client, kenya, 2)
        add_to_cart(client, assam, 1)
        guest = uuid.UUID(cart_id_of(client))

        response = log_in(client)

        assert response.status_code == 302
        assert uuid.UUID(cart_id_of(client)) == customer_cart
        assert lines_of(customer_cart) == {"Kenya AA": 5, "Assam Breakfast": 1}
        merged = eventstore.load(customer_cart)[-1]
        assert merged.event_type == "CartMerged"
        assert merged.event.source_cart_id == guest
        assert {(line.product_id, line.quantity) for line in merged.event.lines} == {
            (kenya.id, 2),
            (assam.id, 1),
        }
        closed = eventstore.load(guest)[-1]
        assert closed.event_type == "CartMergedInto"
        assert closed.event.target_cart_id == customer_cart
        assert closed.metadata["command_id"] == merged.metadata["command_id"]
        html = client.get("/cart/").content.decode()
        assert "We added the items from before you logged in:" in html
        assert "2 × Kenya AA" in html and "1 × Assam Breakfast" in html
        assert "Cart (6)" in html

    def test_merged_quantities_are_capped_by_stock(self, client, customer, kenya):
        laptop = Client()
        log_in(laptop)
        add_to_cart(laptop, kenya, 7)
        add_to_cart(client, kenya, 5)
        log_in(client)
        assert lines_of(uuid.UUID(cart_id_of(client))) == {"Kenya AA": 8}
        assert "1 × Kenya AA" in client.get("/cart/").content.decode()

    def test_out_of_stock_guest_lines_bring_nothing_and_say_so(self, client, customer_cart, kenya):
        add_to_cart(client, kenya, 2)
        guest = uuid.UUID(cart_id_of(client))
        product_adjust_stock(product_id=kenya.id, on_hand=0, context=SYSTEM)
        log_in(client)
        assert lines_of(customer_cart) == {"Kenya AA": 3}
        assert types(guest)[-1] == "CartMergedInto"
        html = client.get("/cart/").content.decode()
        assert "Nothing more could be added from before you logged in" in html

    def test_logging_in_twice_does_not_add_twice(self, client, customer_cart, kenya):
        add_to_cart(client, kenya, 2)
        guest = uuid.UUID(cart_id_of(client))
        log_in(client)
        log_in(client)  # again, in the same browser
        assert lines_of(customer_cart) == {"Kenya AA": 5}
        assert types(customer_cart).count("CartMerged") == 1
        assert types(guest).count("CartMergedInto") == 1

    def test_claiming_the_same_guest_cart_again_adds_nothing(self, client, customer_cart, kenya):
        """A refreshed or doubled login request carries the same guest cart."""
        add_to_cart(client, kenya, 2)
        guest = uuid.UUID(cart_id_of(client))
        user_id = get_user_model().objects.get().pk
        first = services.cart_claim_for_customer(
            user_id=user_id, guest_cart_id=guest, context=SYSTEM
        )
        again = services.cart_claim_for_customer(
            user_id=user_id, guest_cart_id=guest, context=SYSTEM
        )
        assert first.lines == (
            Line(product_id=kenya.id, variant_id=kenya.id, quantity=2, unit_price=kenya.unit_price),
        )
        assert again.cart_id == customer_cart and again.lines == ()
        assert lines_of(customer_cart) == {"Kenya AA": 3 + 2}
        assert types(customer_cart).count("CartMerged") == 1

    def test_the_merged_guest_cart_takes_no_more_commands(self, client, customer_cart, kenya):
        add_to_cart(client, kenya, 1)
        guest = uuid.UUID(cart_id_of(client))
        log_in(client)
        with pytest.raises(CartClosed):
            services.cart_add_item(cart_id=guest, product=kenya, quantity=1, context=SYSTEM)

    def test_switching_accounts_takes_no_cart_along(self, client, customer_cart, kenya):
        other = get_user_model().objects.create_user("bob", password=PASSWORD)
        log_in(client, "bob")
        add_to_cart(client, kenya, 1)
        bobs = CustomerCart.objects.get(user=other).cart_id
        log_in(client)  # as ada, without logging out
        assert uuid.UUID(cart_id_of(client)) == customer_cart
        assert lines_of(customer_cart) == {"Kenya AA": 3}
        assert types(bobs) == ["ItemAdded"]

    def test_login_without_a_guest_cart_uses_the_customers(self, client, customer_cart):
        log_in(client)
        assert uuid.UUID(cart_id_of(client)) == customer_cart
        assert types(customer_cart) == ["ItemAdded"]

    def test_login_query_budget(
        self, client, customer_cart, kenya, assam, django_assert_max_num_queries
    ):
        add_to_cart(client, kenya, 1)
        add_to_cart(client, assam, 1)
        # auth, the login throttle (django-axes: 4), the session, and both cart streams
        with django_assert_max_num_queries(32):
            response = log_in(client)
        assert response.status_code == 302


class TestForgetCart:
    """The checkout contract: after forget_cart the next add starts a new cart stream."""

    def request_for(self, user=None):
        request = RequestFactory().post("/")
        SessionMiddleware(lambda r: None).process_request(request)
        request.user = user
        return request

    def test_for_a_customer_the_next_cart_is_a_new_one(self, customer):
        request = self.request_for(customer)
        first = ensure_cart_id(request)
        assert CustomerCart.objects.get(user=customer).cart_id == first
        forget_cart(request)
        assert not CustomerCart.objects.filter(user=customer).exists()
        elsewhere = self.request_for(customer)  # another browser of the same customer
        assert current_cart_id(elsewhere) is None
        second = ensure_cart_id(elsewhere)
        assert second != first

    def test_for_a_guest(self):
        from django.contrib.auth.models import AnonymousUser

        request = self.request_for(AnonymousUser())
        first = ensure_cart_id(request)
        assert request.session[SESSION_KEY] == str(first)
        forget_cart(request)
        assert current_cart_id(request) is None
        assert ensure_cart_id(request) != first
