"""Shipping methods and VAT: what the cart estimates, what checkout offers and re-checks at
submission, what the order stores (and keeps, whatever staff change later)."""

import uuid
from datetime import timedelta
from decimal import Decimal
from io import StringIO
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.utils import timezone

from carts.models import Coupon
from catalog.models import Product
from catalog.services import product_id_for
from orders import domain
from orders.models import CheckoutCommand, OrderSummary
from orders.services import order_checkout
from shipping.models import ShippingMethod, VatRate, WeightBand
from shipping.rates import Kind, MethodTerms
from shipping.services import cart_weight, offers
from shop import eventstore
from shop.models import Event
from shop.money import Money, TaxClass
from tests.factories import SYSTEM, ProductFactory, add_to_cart, checkout_fields
from tests.integration.test_checkout import ADDRESS

pytestmark = pytest.mark.django_db

EUR = "EUR"


def eur(amount) -> Money:
    return Money(Decimal(amount), EUR)


@pytest.fixture
def coffee():
    return ProductFactory(name="Kenya AA", price=Decimal("16.20"), stock=50, tax_class="reduced")


@pytest.fixture
def gear():
    return ProductFactory(name="Hand Grinder", price=Decimal("24.00"), stock=50)


def no_drift() -> bool:
    out = StringIO()
    call_command("rebuild_projections", "--check", stdout=out)
    return "DRIFT" not in out.getvalue()


def stored() -> tuple[int, int, int]:
    return Event.objects.count(), OrderSummary.objects.count(), CheckoutCommand.objects.count()


def order_part(html: str) -> str:
    """The order's own part of its page (the rest carries per-request tokens)."""
    return html[html.index("<h1") : html.index("</address>")]


def at(country: str) -> dict:
    return {**ADDRESS, "country": country}


class TestOffers:
    def test_the_eu_gets_standard_and_express_the_rest_of_the_world_standard(self):
        germany = offers(country="DE", goods_total=eur("20.00"), weight_grams=0)
        assert [(o.name, o.price, o.estimate) for o in germany] == [
            ("Standard", eur("4.90"), "2–4 working days"),
            ("Express", eur("9.90"), "1–2 working days"),
        ]
        for country in ("US", "GB", "Japan", ""):
            world = offers(country=country, goods_total=eur("20.00"), weight_grams=0)
            assert [(o.name, o.price) for o in world] == [("Standard", eur("14.90"))], country

    def test_standard_is_free_from_fifty_euros_of_goods_after_the_discount(self):
        below = offers(country="FR", goods_total=eur("49.99"), weight_grams=0)
        from_50 = offers(country="FR", goods_total=eur("50.00"), weight_grams=0)
        assert [o.price for o in below] == [eur("4.90"), eur("9.90")]
        assert [o.price for o in from_50] == [eur("0.00"), eur("9.90")]

    def test_weight_bands_price_by_weight_and_refuse_what_is_too_heavy(self):
        method = ShippingMethod.objects.create(
            name="Parcel", kind="weight", countries=["AT"], position=9
        )
        WeightBand.objects.create(method=method, up_to_grams=1000, price=Decimal("5.00"))
        WeightBand.objects.create(method=method, up_to_grams=5000, price=Decimal("8.00"))
        prices = {
            grams: [o.price for o in offers(country="AT", goods_total=eur(10), weight_grams=grams)]
            for grams in (0, 1000, 1001, 5000, 5001)
        }
        assert prices == {
            0: [eur("4.90"), eur("9.90"), eur("5.00")],
            1000: [eur("4.90"), eur("9.90"), eur("5.00")],
            1001: [eur("4.90"), eur("9.90"), eur("8.00")],
            5000: [eur("4.90"), eur("9.90"), eur("8.00")],
            5001: [eur("4.90"), eur("9.90")],  # heavier than every band: not offered
        }

    def test_a_method_priced_by_weight_can_be_free_over_an_amount(self):
        terms = MethodTerms(
            id=1,
            name="Parcel",
            kind=Kind.WEIGHT,
            price=eur(0),
            free_from=eur(100),
            bands=((2000, eur("6.50")),),
        )
        assert terms.price_for(goods_total=eur("99.99"), weight_grams=10) == eur("6.50")
        assert terms.price_for(goods_total=eur(100), weight_grams=10) == eur(0)
        assert terms.price_for(goods_total=eur(100), weight_grams=2001) is None

    def test_the_cart_weighs_its_lines_through_one_function(self):
        lines = [
            SimpleNamespace(quantity=2, weight_grams=250),
            SimpleNamespace(quantity=1, weight_grams=1000),
            SimpleNamespace(quantity=3),  # no weight known (before variants carry one)
        ]
        assert cart_weight(lines) == 1500

    def test_a_country_staff_list_explicitly_is_served_only_by_its_methods(self):
        ShippingMethod.objects.create(name="Courier", price=Decimal("30"), countries=["US"])
        us = offers(country="US", goods_total=eur(10), weight_grams=0)
        assert [(o.name, o.price) for o in us] == [("Courier", eur(30))]


class TestTaxClass:
    def test_staff_set_it_in_the_product_admin_and_it_is_an_event(self, client, django_user_model):
        boss = django_user_model.objects.create_superuser("boss", "boss@example.com", "x")
        client.force_login(boss)
        from tests.factories import CategoryFactory

        CategoryFactory(slug="tea", name="Tea")
        add = {
            "name": "Sencha Uji",
            "slug": "sencha-uji",
            "category": "tea",
            "description": "Green.",
            "price": "11.20",
            "tax_class": "reduced",
            "stock": "5",
            "is_listed": "on",
        }
        assert client.post("/admin/catalog/product/add/", add).status_code == 302
        product_id = product_id_for("sencha-uji")
        events = list(Event.objects.filter(stream_id=product_id).order_by("version"))
        assert [e.event_type for e in events] == [
            "ProductListed",
            "StockAdjusted",
            "ProductTaxClassChanged",
        ]
        assert events[2].data == {"tax_class": "reduced", "previous": "standard"}
        assert Product.objects.get(id=product_id).tax_class == "reduced"

        change = {k: v for k, v in add.items() if k != "slug"} | {"tax_class": "standard"}
        url = f"/admin/catalog/product/{product_id}/change/"
        assert client.post(url, change).status_code == 302
        last = Event.objects.filter(stream_id=product_id).order_by("version").last()
        assert last.event_type == "ProductTaxClassChanged"
        assert Product.objects.get(id=product_id).tax_class == "standard"
        bad = client.post(url, change | {"tax_class": "zero-ish"})
        assert bad.status_code == 200 and "is not one of the available choices" in bad.text
        assert Event.objects.filter(stream_id=product_id).count() == 4
        assert no_drift()


class TestCartEstimate:
    def test_the_cart_shows_vat_and_once_a_country_is_known_the_shipping(self, client, coffee):
        add_to_cart(client, coffee, 2)  # 32.40 at 7 %
        html = client.get("/cart/").text
        assert '<dd id="cart-total">32.40 EUR</dd>' in html
        assert '<dt class="vat">incl. VAT 7 %</dt><dd class="vat">2.12 EUR</dd>' in html
        assert 'id="cart-shipping"' not in html

        response = client.post("/cart/shipping/", {"country": "DE"})
        assert response.status_code == 302 and response["Location"] == "/cart/"
        html = client.get("/cart/").text
        assert "Shipping (Standard to Germany)" in html
        assert '<dd id="cart-shipping">4.90 EUR</dd>' in html
        assert '<dd id="cart-total">37.30 EUR</dd>' in html
        assert "Total with shipping (estimate)" in html
        # 37.30 × 7/107 = 2.440…
        assert '<dt class="vat">incl. VAT 7 %</dt><dd class="vat">2.44 EUR</dd>' in html

    def test_a_bad_country_is_refused_beside_the_field(self, client, coffee):
        add_to_cart(client, coffee, 1)
        for value in ("Atlantis", "XX", "", '{"country": "DE"}'):
            response = client.post("/cart/shipping/", {"country": value})
            assert response.status_code == 422, value
            assert "Choose" in response.text and 'aria-invalid="true"' in response.text
        assert "shipping_country" not in client.session


class TestCheckout:
    def test_offers_the_methods_for_the_address_then_places_the_chosen_one(
        self, client, coffee, gear
    ):
        add_to_cart(client, coffee, 1)
        add_to_cart(client, gear, 1)
        fields = checkout_fields(client, at("AT"), method="Express")
        response = client.post("/checkout/", {**at("AT"), **fields})
        assert response.status_code == 302
        order_id = OrderSummary.objects.get().order_id
        assert Event.objects.get(stream_id=order_id).schema_version == 3
        order = eventstore.load(order_id)[0].event
        assert (order.shipping.method, order.shipping.price) == ("Express", eur("9.90"))
        assert order.total == eur("50.10")  # 16.20 + 24.00 + 9.90
        # Shipping split 16.20 : 24.00 → 3.99 + 5.91; 20.19 at 7 %, 29.91 at 19 %.
        assert [(v.rate, v.gross, v.vat) for v in order.vat] == [
            (Decimal(7), eur("20.19"), eur("1.32")),
            (Decimal(19), eur("29.91"), eur("4.78")),
        ]
        assert response["Location"] == f"/orders/{order_id}/pay/"
        for page in (
            client.get(response["Location"]).text,
            client.get(f"/orders/{order_id}/").text,
        ):
            assert "Shipping (Express)" in page and "9.90 EUR" in page
            assert 'incl. VAT 7 %</dt><dd class="vat">1.32 EUR' in page
        page = client.get(f"/orders/{order_id}/").text
        assert 'incl. VAT 7 %</dt><dd class="vat">1.32 EUR' in page
        assert 'incl. VAT 19 %</dt><dd class="vat">4.78 EUR' in page
        assert "Austria" in page
        assert no_drift()

    def test_place_order_without_a_method_asks_for_one(self, client, coffee):
        add_to_cart(client, coffee, 1)
        fields = checkout_fields(client, ADDRESS)
        before = stored()
        response = client.post("/checkout/", {**ADDRESS, **fields, "shipping_method": ""})
        assert response.status_code == 422
        assert '<p class="field-error" id="shipping-error">Choose a shipping method.' in (
            response.text
        )
        assert 'name="shipping_method"' in response.text  # the choices are still there
        assert stored() == before

    @pytest.mark.parametrize(
        ("forged", "status", "message"),
        [
            ("999999@4.90", 422, "There is no such shipping method."),
            ("1@4", 422, "Choose one of the shipping methods offered."),
            ("Standard", 422, "Choose one of the shipping methods offered."),
            ('{"id": 1}', 422, "Choose one of the shipping methods offered."),
            ("-1@4.90", 422, "Choose one of the shipping methods offered."),
        ],
    )
    def test_a_forged_method_is_refused_and_stores_nothing(
        self, client, coffee, forged, status, message
    ):
        add_to_cart(client, coffee, 1)
        fields = checkout_fields(client, ADDRESS)
        before = stored()
        response = client.post("/checkout/", {**ADDRESS, **fields, "shipping_method": forged})
        assert response.status_code == status
        assert message in response.text
        assert 'value="Ada Lovelace"' in response.text  # the form is still there
        assert stored() == before

    def test_a_forged_price_is_refused_and_stores_nothing(self, client, coffee):
        add_to_cart(client, coffee, 1)
        fields = checkout_fields(client, ADDRESS)
        method_id = fields["shipping_method"].split("@")[0]
        before = stored()
        response = client.post(
            "/checkout/", {**ADDRESS, **fields, "shipping_method": f"{method_id}@0.01"}
        )
        assert response.status_code == 409
        assert "The price of Standard shipping changed" in response.text
        assert "it is now 4.90 EUR" in response.text
        assert stored() == before

    def test_a_method_of_another_country_is_refused(self, client, coffee):
        add_to_cart(client, coffee, 1)
        world = checkout_fields(client, at("US"))["shipping_method"]
        fields = checkout_fields(client, ADDRESS)
        before = stored()
        response = client.post("/checkout/", {**ADDRESS, **fields, "shipping_method": world})
        assert response.status_code == 409
        assert "That shipping method does not ship to your address." in response.text
        assert stored() == before

    def test_a_method_that_stopped_serving_the_address_meanwhile(self, client, coffee):
        add_to_cart(client, coffee, 1)
        fields = checkout_fields(client, ADDRESS, method="Express")
        express = ShippingMethod.objects.get(name="Express")
        express.countries = ["FR"]  # staff change it between the page and the submit
        express.save()
        before = stored()
        response = client.post("/checkout/", {**ADDRESS, **fields})
        assert response.status_code == 409
        assert "That shipping method does not ship to your address." in response.text
        assert "Express" not in response.text.split("<legend>Shipping method</legend>")[1]
        assert stored() == before
        # Choosing what is offered now places the order.
        retry = {
            **ADDRESS,
            "command_id": response.context["form"]["command_id"].value(),
            "expected_total": "16.20",
            "shipping_method": response.context["quote"].offers[0].choice,
        }
        assert client.post("/checkout/", retry).status_code == 302

    def test_a_price_changed_meanwhile_is_refused_with_the_new_price(self, client, coffee):
        add_to_cart(client, coffee, 1)
        fields = checkout_fields(client, ADDRESS)
        ShippingMethod.objects.filter(name="Standard", countries__contains="DE").update(
            price=Decimal("5.50")
        )
        before = stored()
        response = client.post("/checkout/", {**ADDRESS, **fields})
        assert response.status_code == 409
        assert "it is now 5.50 EUR" in response.text
        assert stored() == before

    def test_a_country_nobody_ships_to_is_said_beside_the_country(self, client, coffee):
        ShippingMethod.objects.filter(everywhere_else=True).update(active=False)
        add_to_cart(client, coffee, 1)
        page = client.get("/checkout/")
        hidden = {k: str(page.context["form"].initial[k]) for k in ("command_id", "expected_total")}
        before = stored()
        response = client.post("/checkout/", {**at("US"), **hidden, "step": "shipping"})
        assert response.status_code == 422
        assert "Sorry, we do not ship to United States of America." in response.text
        assert stored() == before

    def test_a_coupon_discount_counts_towards_free_shipping_and_splits_over_the_rates(
        self, client, coffee, gear
    ):
        Coupon.objects.create(code="FIVE", kind="fixed", value=Decimal(5))
        add_to_cart(client, coffee, 2)  # 32.40 at 7 %
        add_to_cart(client, gear, 1)  # 24.00 at 19 %
        client.post("/cart/coupon/", {"code": "FIVE"})
        fields = checkout_fields(client, ADDRESS)
        assert client.post("/checkout/", {**ADDRESS, **fields}).status_code == 302
        order = eventstore.load(OrderSummary.objects.get().order_id)[0].event
        assert order.shipping.price == eur(0)  # 56.40 − 5.00 = 51.40: free from 50
        assert order.total == eur("51.40")
        # The 5.00 off splits 32.40 : 24.00 → 2.87 + 2.13.
        assert [(v.rate, v.gross, v.vat) for v in order.vat] == [
            (Decimal(7), eur("29.53"), eur("1.93")),
            (Decimal(19), eur("21.87"), eur("3.49")),
        ]


class TestTheOrderKeepsWhatItCharged:
    def test_a_later_change_of_rates_and_prices_never_changes_an_old_order(
        self, client, coffee, gear
    ):
        add_to_cart(client, coffee, 1)
        add_to_cart(client, gear, 1)
        assert client.post("/checkout/", {**ADDRESS, **checkout_fields(client, ADDRESS)})
        order = OrderSummary.objects.get()
        page_before = order_part(client.get(order.get_absolute_url()).text)
        vat_before = [row.line for row in order.vat.all()]

        VatRate.objects.update(rate=Decimal(25))
        ShippingMethod.objects.update(price=Decimal("99.00"), free_from=None)
        call_command("rebuild_projections", stdout=StringIO())

        order = OrderSummary.objects.get()
        assert [row.line for row in order.vat.all()] == vat_before
        assert (order.shipping_price, order.total) == (Decimal("4.90"), Decimal("45.10"))
        page_after = order_part(client.get(order.get_absolute_url()).text)
        assert "45.10 EUR" in page_after and "incl. VAT 19 %" in page_after
        assert page_after == page_before
        assert no_drift()

    def test_a_country_of_its_own_has_its_own_rates(self, client, coffee):
        VatRate.objects.create(country="FR", tax_class=TaxClass.REDUCED, rate=Decimal("5.5"))
        add_to_cart(client, coffee, 1)
        assert client.post("/checkout/", {**at("FR"), **checkout_fields(client, at("FR"))})
        order = eventstore.load(OrderSummary.objects.get().order_id)[0].event
        assert order.lines[0].vat_rate == Decimal("5.5")
        # 16.20 + 4.90 = 21.10 at 5.5 %: 1.0999… → 1.10
        assert [(v.rate, v.vat) for v in order.vat] == [(Decimal("5.5"), eur("1.10"))]


class TestOrdersPlacedBeforeShippingAndVat:
    def test_an_order_placed_v1_reads_as_no_shipping_and_vat_not_itemised(self, client, coffee):
        order_id = uuid.uuid4()
        placed_at = timezone.now() - timedelta(days=300)
        Event.objects.create(
            stream_type="order",
            stream_id=order_id,
            version=1,
            event_type="OrderPlaced",
            schema_version=1,
            data={
                "cart_id": str(uuid.uuid4()),
                "lines": [
                    {
                        "product_id": str(coffee.id),
                        "name": "Kenya AA",
                        "quantity": 2,
                        "unit_price": {"amount": "16.20", "currency": "EUR"},
                    }
                ],
                "subtotal": {"amount": "32.40", "currency": "EUR"},
                "discount": {"amount": "0", "currency": "EUR"},
                "total": {"amount": "32.40", "currency": "EUR"},
                "currency": "EUR",
                "coupon_code": None,
                "customer": {"email": "old@example.com", "user_id": None, "actor": "guest:x"},
                "address": {
                    "full_name": "Old Customer",
                    "address": "1 Old Road",
                    "city": "Oldham",
                    "postal_code": "OL1",
                    "country": "United Kingdom",
                },
                "placed_at": placed_at.isoformat(),
            },
            metadata={"actor": "guest:x"},
            recorded_at=placed_at,
        )
        event = eventstore.load(order_id)[0].event
        assert event.shipping is None and event.vat == ()
        assert event.lines[0].vat_rate is None
        assert event.total == eur("32.40")

        call_command("rebuild_projections", stdout=StringIO())
        order = OrderSummary.objects.get(order_id=order_id)
        assert (order.shipping_method, order.shipping_price) == ("", None)
        assert not order.vat.exists()
        assert no_drift()

        from django.contrib.auth.models import User

        staff = User.objects.create_superuser("boss", "b@example.com", "x")
        client.force_login(staff)
        page = client.get(order.get_absolute_url()).text
        assert "32.40 EUR" in page and "Shipping (" not in page
        assert "VAT was not itemised" in page
        assert "United Kingdom" in page
        admin = client.get(f"/admin/orders/ordersummary/{order_id}/change/")
        assert admin.status_code == 200


class TestAdmin:
    def test_staff_see_the_shipping_and_the_vat_per_rate(self, client, coffee, gear):
        add_to_cart(client, coffee, 1)
        add_to_cart(client, gear, 1)
        assert client.post("/checkout/", {**at("AT"), **checkout_fields(client, at("AT"))})
        order = OrderSummary.objects.get()
        from django.contrib.auth.models import User

        client.force_login(User.objects.create_superuser("boss", "b@example.com", "x"))
        page = client.get(f"/admin/orders/ordersummary/{order.order_id}/change/").text
        assert "VAT included, per rate" in page
        assert "incl. VAT 7 %: 1.32 EUR" in page or "incl. VAT 7 %: " in page
        assert "Standard" in page and "4.90" in page
        methods = client.get("/admin/shipping/shippingmethod/")
        assert methods.status_code == 200 and "Express" in methods.text
        rates = client.get("/admin/shipping/vatrate/")
        assert rates.status_code == 200 and "Every other country" in rates.text


def test_the_service_refuses_shipping_nobody_offers_and_stores_nothing(coffee):
    ShippingMethod.objects.update(active=False)
    from carts.services import cart_add_item

    cart_id = uuid.uuid4()
    cart_add_item(cart_id=cart_id, product=coffee, quantity=1, context=SYSTEM)
    before = stored()
    with pytest.raises(domain.ShippingUnavailable, match="we do not ship to Germany"):
        order_checkout(
            cart_id=cart_id,
            command_id=uuid.uuid4(),
            customer=domain.Customer(email="a@example.com"),
            address=domain.Address(
                full_name="A", address="1", city="Berlin", postal_code="1", country="DE"
            ),
            context=SYSTEM,
        )
    assert stored() == before
