"""Checkout: one transaction across the cart, order, product and coupon streams."""

import uuid
from decimal import Decimal

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from carts.domain import ApplyCoupon
from carts.models import CartLine, CartSummary, Coupon
from carts.pricing import cart_totals
from carts.services import CART
from catalog.models import Product
from catalog.services import product_adjust_stock, product_change_price, shop_money
from orders import domain
from orders.models import CheckoutCommand, OrderSummary
from orders.services import order_checkout
from shop import eventstore
from shop.models import Event
from shop.unitofwork import execute
from tests.factories import SYSTEM, ProductFactory, add_to_cart, cart_id_of, checkout_fields
from tests.payments import pay
from tests.subscribing import drain

pytestmark = pytest.mark.django_db

ADDRESS = {
    "email": "ada@example.com",
    "full_name": "Ada Lovelace",
    "address": "12 St James's Square",
    "city": "London",
    "postal_code": "SW1Y 4JH",
    "country": "Germany",  # a country's name is taken as well as its code (DE)
}


@pytest.fixture
def kenya():
    return ProductFactory(name="Kenya AA", price=Decimal("16.20"), stock=10)


@pytest.fixture
def assam():
    return ProductFactory(name="Assam Breakfast", price=Decimal("6.40"), stock=3)


def checkout_form(client, address=ADDRESS, **kwargs):
    """Walk to the checkout's second step; return its hidden fields and shipping choice."""
    return checkout_fields(client, address, **kwargs)


def place(client, **overrides):
    data = {**ADDRESS, **checkout_form(client), **overrides}
    return client.post("/checkout/", data), data


def apply_coupon(cart_id, coupon):
    """Put a coupon on the cart with the cart's own ApplyCoupon command."""
    command = ApplyCoupon(
        code=coupon.code,
        coupon=coupon.terms(),
        subtotal=shop_money("100.00"),
        now=timezone.now(),
    )
    execute(CART, cart_id, command, SYSTEM)


def stock_of(product):
    return Product.objects.get(id=product.id).stock


class TestCheckoutPage:
    def test_cart_page_links_to_checkout_only_with_items(self, client, kenya):
        assert b"Checkout" not in client.get("/cart/").content
        add_to_cart(client, kenya, 1)
        html = client.get("/cart/").content.decode()
        assert 'href="/checkout/">Checkout</a>' in html

    def test_shows_summary_form_and_command_id(self, client, kenya, assam):
        add_to_cart(client, kenya, 2)
        add_to_cart(client, assam, 1)
        response = client.get("/checkout/")
        html = response.content.decode()
        assert 'hx-history="false"' in html
        assert "Kenya AA" in html and "Assam Breakfast" in html
        assert "38.80 EUR" in html  # 2 × 16.20 + 6.40
        for label in ["Email", "Full name", "Address", "City", "Postal code", "Country"]:
            assert f">{label}</label>" in html
        # The address first; the shipping methods come once the country is known.
        assert '<button type="submit" name="step" value="shipping">Continue to shipping' in html
        assert "Place order" not in html and "<legend>Shipping method</legend>" not in html
        assert 'type="hidden" name="command_id"' in html
        first = response.context["form"].initial["command_id"]
        assert client.get("/checkout/").context["form"].initial["command_id"] != first
        hidden = {"command_id": first, "expected_total": "38.80"}
        step = client.post("/checkout/", {**ADDRESS, **hidden, "step": "shipping"})
        html = step.content.decode()
        assert step.status_code == 200
        assert "<legend>Shipping method</legend>" in html
        assert '<button type="submit">Place order</button>' in html
        assert 'value="Ada Lovelace"' in html  # the address stays, still editable

    def test_customer_gets_their_email_filled_in(self, client, kenya, django_user_model):
        user = django_user_model.objects.create_user("grace", "grace@example.com", "x")
        client.force_login(user)
        add_to_cart(client, kenya, 1)
        assert 'value="grace@example.com"' in client.get("/checkout/").content.decode()

    def test_empty_cart_goes_back_to_the_cart(self, client):
        response = client.get("/checkout/")
        assert response.status_code == 302 and response["Location"] == "/cart/"

    def test_says_when_a_price_changed_since_it_was_added(self, client, kenya):
        add_to_cart(client, kenya, 1)
        product_change_price(product_id=kenya.id, price=shop_money("18.00"), context=SYSTEM)
        html = client.get("/checkout/").content.decode()
        assert "Kenya AA: now 18.00 EUR (was 16.20 EUR when you added it)" in html


class TestPlaceOrder:
    def test_writes_every_stream_in_one_transaction(self, client, kenya, assam):
        coupon = Coupon.objects.create(code="WELCOME10", value=10, max_redemptions=5)
        add_to_cart(client, kenya, 2)
        add_to_cart(client, assam, 1)
        cart_id = uuid.UUID(cart_id_of(client))
        apply_coupon(cart_id, coupon)
        before = Event.objects.count()

        response, data = place(client)

        new = list(Event.objects.filter(position__gt=0).order_by("position")[before:])
        assert sorted((e.stream_type, e.event_type) for e in new) == [
            ("cart", "CartCheckedOut"),
            ("coupon", "CouponRedeemed"),
            ("order", "OrderPlaced"),
            ("product", "StockReserved"),
            ("product", "StockReserved"),
        ]
        assert {e.metadata["command_id"] for e in new} == {data["command_id"]}
        assert len({e.metadata["correlation_id"] for e in new}) == 1
        order_event = next(e for e in new if e.event_type == "OrderPlaced")
        order_id = order_event.stream_id
        assert response.status_code == 302
        assert response["Location"] == f"/orders/{order_id}/pay/"

        placed = eventstore.load(order_id)[0].event
        assert [(line.name, line.quantity, line.unit_price) for line in placed.lines] == [
            ("Kenya AA", 2, shop_money("16.20")),
            ("Assam Breakfast", 1, shop_money("6.40")),
        ]
        assert placed.subtotal == shop_money("38.80")
        assert placed.discount == shop_money("3.88")
        assert placed.shipping == domain.Shipping(
            method_id=placed.shipping.method_id,
            method="Standard",
            price=shop_money("4.90"),
            estimate="2–4 working days",
        )
        assert placed.total == shop_money("39.82")  # 38.80 − 3.88 + 4.90
        # Both products pay the standard rate (19 % in Germany): 39.82 × 19/119 = 6.358…
        assert [(v.rate, v.gross, v.vat) for v in placed.vat] == [
            (Decimal(19), shop_money("39.82"), shop_money("6.36"))
        ]
        assert {line.vat_rate for line in placed.lines} == {Decimal(19)}
        assert placed.currency == "EUR" and placed.coupon_code == "WELCOME10"
        assert placed.customer.email == "ada@example.com" and placed.customer.user_id is None
        assert placed.customer.actor.startswith("guest:")
        assert placed.address == domain.Address(
            full_name="Ada Lovelace",
            address="12 St James's Square",
            city="London",
            postal_code="SW1Y 4JH",
            country="DE",
        )
        assert placed.cart_id == cart_id
        reserved = {e.stream_id: e.data["quantity"] for e in new if e.event_type == "StockReserved"}
        assert reserved == {kenya.id: 2, assam.id: 1}
        redeemed = next(e for e in new if e.event_type == "CouponRedeemed")
        assert redeemed.stream_id == coupon.stream_id

        # Projections moved in the same transaction.
        assert stock_of(kenya) == 8 and stock_of(assam) == 2
        coupon.refresh_from_db()
        assert coupon.redemptions == 1
        assert CartSummary.objects.get(cart_id=cart_id).status == "checked_out"
        order = OrderSummary.objects.get(order_id=order_id)
        assert order.total == Decimal("39.82") and order.status == "placed"
        assert (order.shipping_method, order.shipping_price) == ("Standard", Decimal("4.90"))
        assert [row.line for row in order.vat.all()] == list(placed.vat)
        assert order.lines.count() == 2
        command = CheckoutCommand.objects.get(command_id=data["command_id"])
        assert (command.order_id, command.cart_id) == (order_id, cart_id)

        # The cart is empty again; a new cart starts on the next add.
        assert cart_id_of(client) is None
        assert "Cart (0)" in client.get("/").content.decode()
        add_to_cart(client, kenya, 1)
        assert uuid.UUID(cart_id_of(client)) != cart_id

    def test_confirmation_page(self, client, kenya):
        add_to_cart(client, kenya, 3)
        response, _ = place(client)
        page = client.get(response["Location"])  # the payment page
        html = page.content.decode()
        order = OrderSummary.objects.get()
        assert page.status_code == 200
        assert f"<h1>Pay for your order {order.number}</h1>" in html
        assert "Kenya AA" in html and "48.60 EUR" in html
        assert 'hx-history="false"' in html
        pay(order.order_id)
        html = client.get(order.get_absolute_url()).content.decode()
        assert f"<h1>Thank you! Your order {order.number}</h1>" in html

    def test_charges_the_current_price_not_the_added_one(self, client, kenya):
        add_to_cart(client, kenya, 1)
        product_change_price(product_id=kenya.id, price=shop_money("18.00"), context=SYSTEM)
        place(client)
        assert OrderSummary.objects.get().total == Decimal("22.90")  # 18.00 + 4.90 shipping

    def test_a_price_change_after_the_page_was_shown_is_refused(self, client, kenya):
        add_to_cart(client, kenya, 1)
        data = {**ADDRESS, **checkout_form(client)}
        product_change_price(product_id=kenya.id, price=shop_money("18.00"), context=SYSTEM)
        before = Event.objects.count()
        response = client.post("/checkout/", data)
        assert response.status_code == 409
        assert "the total is now 22.90 EUR" in response.content.decode()  # + 4.90 shipping
        assert Event.objects.count() == before
        # The page shown again carries the new total: placing it now works.
        form = response.context["form"]
        fresh = {name: form[name].value() for name in form.HIDDEN}
        assert fresh["expected_total"] == "18.00" and fresh["command_id"] != data["command_id"]
        # The method shown again (the one chosen) is still checked.
        assert data["shipping_method"] == response.context["quote"].chosen.choice
        retry = client.post("/checkout/", {**data, **fresh})
        assert retry.status_code == 302

    def test_a_refused_product_in_the_middle_leaves_no_event(self, client, kenya, assam):
        first, last = sorted([kenya, assam], key=lambda p: p.id)
        add_to_cart(client, first, 2)
        add_to_cart(client, last, 3)
        # Stock of the product appended last drops after it went into the cart.
        product_adjust_stock(product_id=last.id, on_hand=1, context=SYSTEM)
        before = Event.objects.count()
        stock_before = (stock_of(first), stock_of(last))

        response, _ = place(client)

        assert response.status_code == 409
        assert f"Only 1 of {last.name} left in stock." in response.content.decode()
        assert Event.objects.count() == before
        assert (stock_of(first), stock_of(last)) == stock_before
        assert not OrderSummary.objects.exists()
        assert not CheckoutCommand.objects.exists()
        cart = CartSummary.objects.get(cart_id=cart_id_of(client))
        assert cart.status == "open" and cart.item_count == 5
        assert CartLine.objects.filter(cart=cart).count() == 2

    def test_a_used_up_coupon_is_refused_and_the_cart_stays(self, client, kenya):
        coupon = Coupon.objects.create(code="LAST1", value=5, kind="fixed", max_redemptions=1)
        add_to_cart(client, kenya, 1)
        cart_id = uuid.UUID(cart_id_of(client))
        apply_coupon(cart_id, coupon)
        form = checkout_form(client)
        # Someone else redeems the last use meanwhile.
        other_cart = uuid.uuid4()
        from carts.services import cart_add_item

        cart_add_item(cart_id=other_cart, product=kenya, quantity=1, context=SYSTEM)
        apply_coupon(other_cart, coupon)
        order_checkout(
            cart_id=other_cart,
            command_id=uuid.uuid4(),
            customer=domain.Customer(email="b@example.com"),
            address=domain.Address(
                full_name="B", address="1 Road", city="Town", postal_code="1", country="X"
            ),
            context=SYSTEM,
        )
        before = Event.objects.count()
        response = client.post("/checkout/", {**ADDRESS, **form})
        assert response.status_code == 409
        assert "The coupon LAST1 has been used up." in response.content.decode()
        assert Event.objects.count() == before
        assert CartSummary.objects.get(cart_id=cart_id).status == "open"
        coupon.refresh_from_db()
        assert coupon.redemptions == 1

    def test_totals_come_from_pricing(self, client, kenya):
        add_to_cart(client, kenya, 2)
        place(client)
        expected = cart_totals(
            [(2, kenya.unit_price, Decimal(19))], currency="EUR", shipping=shop_money("4.90")
        )
        order = OrderSummary.objects.get()
        assert order.total == expected.total.amount == Decimal("37.30")
        assert [row.line for row in order.vat.all()] == list(expected.vat)


class TestIdempotency:
    def test_double_submit_returns_the_same_order(self, client, kenya):
        add_to_cart(client, kenya, 1)
        first, data = place(client)
        second = client.post("/checkout/", data)  # pressed twice, or the POST reloaded
        assert second.status_code == 302
        assert second["Location"] == first["Location"]
        assert OrderSummary.objects.count() == 1
        assert Event.objects.filter(event_type="OrderPlaced").count() == 1
        assert stock_of(kenya) == 9

    def test_the_same_command_from_the_service_twice(self, kenya):
        from carts.services import cart_add_item

        cart_id, command_id = uuid.uuid4(), uuid.uuid4()
        cart_add_item(cart_id=cart_id, product=kenya, quantity=1, context=SYSTEM)
        kwargs = {
            "cart_id": cart_id,
            "command_id": command_id,
            "customer": domain.Customer(email="a@example.com"),
            "address": domain.Address(
                full_name="A", address="1 Road", city="Town", postal_code="1", country="X"
            ),
            "context": SYSTEM,
        }
        one = order_checkout(**kwargs)
        two = order_checkout(**kwargs)
        assert one.placed and not two.placed
        assert one.order_id == two.order_id

    def test_the_same_command_id_with_another_cart_is_refused(self, client, kenya):
        add_to_cart(client, kenya, 1)
        _, data = place(client)
        add_to_cart(client, kenya, 1)  # a new cart
        before = Event.objects.count()
        response = client.post("/checkout/", data)
        assert response.status_code == 409
        assert "belongs to another cart" in response.content.decode()
        assert Event.objects.count() == before
        assert OrderSummary.objects.count() == 1

    def test_someone_elses_command_id_does_not_lead_to_their_order(self, client, kenya):
        from django.test import Client

        add_to_cart(client, kenya, 1)
        _, data = place(client)
        stranger = Client()
        response = stranger.post("/checkout/", data)  # no cart in this session
        assert response.status_code == 409
        assert "/orders/" not in response.get("Location", "")


class TestBadInput:
    @pytest.mark.parametrize("field", list(ADDRESS))
    def test_missing_field(self, client, kenya, field):
        add_to_cart(client, kenya, 1)
        before = Event.objects.count()
        response, _ = place(client, **{field: ""})
        assert response.status_code == 422
        assert "Enter your" in response.text or "Choose your country." in response.text
        assert Event.objects.count() == before

    def test_bad_email(self, client, kenya):
        add_to_cart(client, kenya, 1)
        response, _ = place(client, email="not-an-email")
        assert response.status_code == 422
        assert "Enter a valid email." in response.content.decode()

    @pytest.mark.parametrize("command_id", ["", "not-a-uuid", "1 OR 1=1"])
    def test_forged_or_missing_command_id(self, client, kenya, command_id):
        add_to_cart(client, kenya, 1)
        before = Event.objects.count()
        response, _ = place(client, command_id=command_id)
        assert response.status_code == 422
        assert "out of date" in response.content.decode()
        assert Event.objects.count() == before

    def test_post_with_no_cart(self, client):
        data = {**ADDRESS, "command_id": str(uuid.uuid4()), "expected_total": "1.00"}
        response = client.post("/checkout/", data)
        assert response.status_code == 409
        assert "Your cart is empty." in response.content.decode()

    def test_other_methods_are_not_allowed(self, client):
        assert client.put("/checkout/").status_code == 405
        assert client.post("/orders/").status_code == 405


class TestEmail:
    """The confirmation is sent by the ``order-emails`` subscriber (``drain`` runs it)."""

    def test_sent_by_the_subscriber_once_paid(self, client, kenya):
        add_to_cart(client, kenya, 2)
        place(client)
        drain()
        assert mail.outbox == []  # placed, not yet paid
        order = OrderSummary.objects.get()
        pay(order.order_id)
        assert mail.outbox == []  # the request sends nothing itself
        drain()
        assert len(mail.outbox) == 1
        message = mail.outbox[0]
        assert message.to == ["ada@example.com"]
        assert order.number in message.subject
        assert "2 × Kenya AA" in message.body and "32.40 EUR" in message.body

    def test_not_sent_for_a_double_submit(self, client, kenya):
        add_to_cart(client, kenya, 1)
        _, data = place(client)
        client.post("/checkout/", data)
        pay(OrderSummary.objects.get().order_id)
        drain()
        drain()
        assert len(mail.outbox) == 1

    def test_not_sent_when_the_checkout_rolls_back(self, kenya):
        from carts.services import cart_add_item

        cart_id = uuid.uuid4()
        cart_add_item(cart_id=cart_id, product=kenya, quantity=1, context=SYSTEM)

        class RolledBack(Exception):
            pass

        with pytest.raises(RolledBack), transaction.atomic():
            order_checkout(
                cart_id=cart_id,
                command_id=uuid.uuid4(),
                customer=domain.Customer(email="a@example.com"),
                address=domain.Address(
                    full_name="A", address="1 Road", city="T", postal_code="1", country="X"
                ),
                context=SYSTEM,
            )
            raise RolledBack
        drain()
        assert mail.outbox == []
        assert not OrderSummary.objects.exists()
        assert stock_of(kenya) == 10

    def test_not_sent_when_refused(self, client, kenya):
        add_to_cart(client, kenya, 5)
        product_adjust_stock(product_id=kenya.id, on_hand=2, context=SYSTEM)
        response, _ = place(client)
        drain()
        assert response.status_code == 409
        assert mail.outbox == []
