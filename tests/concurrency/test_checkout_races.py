"""Checkouts racing on PostgreSQL: real threads, one connection each.

Every thread waits at a barrier, then checks out at once. The stream-version lock must
keep stock at or above zero, count a coupon's last uses exactly, and never deadlock.
"""

import threading
import uuid
from collections import Counter
from decimal import Decimal

import pytest
from django.db import connections
from django.test import Client
from django.utils import timezone

from carts.coupons import CouponUsedUp
from carts.domain import ApplyCoupon, CartAlreadyCheckedOut
from carts.models import Coupon
from carts.services import CART, COUPON, cart_add_item
from catalog.domain import InsufficientStock
from catalog.models import Product
from catalog.services import PRODUCT, shop_money
from orders import domain
from orders.models import OrderSummary
from orders.services import order_checkout
from shop.models import Event
from shop.unitofwork import execute, load_state
from tests.factories import SYSTEM, ProductFactory, add_to_cart, cart_id_of

pytestmark = pytest.mark.django_db(transaction=True)

ADDRESS = domain.Address(
    full_name="Racer", address="1 Track", city="Monza", postal_code="20900", country="Italy"
)
FORM = {
    "email": "racer@example.com",
    "full_name": "Racer",
    "address": "1 Track",
    "city": "Monza",
    "postal_code": "20900",
    "country": "Italy",
}


def race(jobs):
    """Run every job in its own thread, all released at once; return what each returned
    or raised, in job order."""
    barrier = threading.Barrier(len(jobs))
    results = [None] * len(jobs)

    def run(index, job):
        try:
            barrier.wait()
            results[index] = job()
        except BaseException as error:  # the test looks at every outcome
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a checkout hung"
    return results


def cart_with(*lines, coupon=None):
    cart_id = uuid.uuid4()
    for product, quantity in lines:
        cart_add_item(cart_id=cart_id, product=product, quantity=quantity, context=SYSTEM)
    if coupon is not None:
        command = ApplyCoupon(
            code=coupon.code, coupon=coupon.terms(), subtotal=shop_money("1"), now=timezone.now()
        )
        execute(CART, cart_id, command, SYSTEM)
    return cart_id


def checkout_job(cart_id, command_id=None):
    def job():
        return order_checkout(
            cart_id=cart_id,
            command_id=command_id or uuid.uuid4(),
            customer=domain.Customer(email="racer@example.com"),
            address=ADDRESS,
            context=SYSTEM,
        )

    return job


def split(results):
    orders = [r for r in results if not isinstance(r, BaseException)]
    errors = [r for r in results if isinstance(r, BaseException)]
    return orders, errors


def report(name, orders, errors):
    retries = sum(order.attempts - 1 for order in orders)
    kinds = Counter(type(error).__name__ for error in errors)
    most = max((order.attempts for order in orders), default=0)
    print(
        f"\n{name}: {len(orders)} orders, refusals {dict(kinds)}, "
        f"retries by winners {retries}, most attempts {most}"
    )


def test_twenty_shoppers_race_for_the_last_five_units():
    product = ProductFactory(name="Last Five", stock=5)
    carts = [cart_with((product, 1)) for _ in range(20)]

    orders, errors = split(race([checkout_job(cart_id) for cart_id in carts]))

    report("last five units", orders, errors)
    assert len(orders) == 5
    assert len(errors) == 15
    assert all(isinstance(error, InsufficientStock) for error in errors), errors
    assert all(str(error) == "Only 0 of Last Five left in stock." for error in errors)
    assert Product.objects.get(id=product.id).stock == 0
    assert load_state(PRODUCT, product.id).state.on_hand == 0
    assert Event.objects.filter(event_type="StockReserved", stream_id=product.id).count() == 5
    assert OrderSummary.objects.count() == 5
    assert len({order.order_id for order in orders}) == 5


def test_the_same_cart_from_two_requests_at_once_places_one_order():
    product = ProductFactory(name="Double Click", stock=10)
    first = Client()
    add_to_cart(first, product, 2)
    form = first.get("/checkout/").context["form"].initial
    second = Client()
    second.cookies = first.cookies  # the same browser session, two requests
    data = {**FORM, "command_id": str(form["command_id"]), "expected_total": "20.00"}

    responses = race([lambda c=c: c.post("/checkout/", data) for c in (first, second)])

    assert [r.status_code for r in responses] == [302, 302], responses
    assert responses[0]["Location"] == responses[1]["Location"]
    assert OrderSummary.objects.count() == 1
    assert Product.objects.get(id=product.id).stock == 8


def test_the_same_cart_with_two_different_forms_at_once_places_one_order():
    product = ProductFactory(name="Two Tabs", stock=10)
    cart_id = cart_with((product, 1))

    orders, errors = split(race([checkout_job(cart_id), checkout_job(cart_id)]))

    report("same cart, two command ids", orders, errors)
    assert len(orders) == 1
    assert len(errors) == 1 and isinstance(errors[0], CartAlreadyCheckedOut)
    assert OrderSummary.objects.count() == 1
    assert Product.objects.get(id=product.id).stock == 9


def test_a_coupon_with_three_uses_left_is_redeemed_three_times():
    product = ProductFactory(name="Coupon Bait", stock=100)
    coupon = Coupon.objects.create(code="THREE", value=Decimal(10), max_redemptions=3)
    carts = [cart_with((product, 1), coupon=coupon) for _ in range(10)]

    orders, errors = split(race([checkout_job(cart_id) for cart_id in carts]))

    report("coupon with three uses", orders, errors)
    assert len(orders) == 3
    assert len(errors) == 7
    assert all(isinstance(error, CouponUsedUp) for error in errors), errors
    coupon.refresh_from_db()
    assert coupon.redemptions == 3
    usage = load_state(COUPON, coupon.stream_id).state
    assert usage.redemptions == 3
    assert Product.objects.get(id=product.id).stock == 97  # refused checkouts reserved nothing
    assert set(OrderSummary.objects.values_list("coupon_code", flat=True)) == {"THREE"}


def test_opposite_orders_of_the_same_products_never_deadlock():
    a = ProductFactory(name="Product A", stock=50)
    b = ProductFactory(name="Product B", stock=50)
    carts = [cart_with((a, 1), (b, 1)) if i % 2 else cart_with((b, 1), (a, 1)) for i in range(10)]

    orders, errors = split(race([checkout_job(cart_id) for cart_id in carts]))

    report("A+B in both orders", orders, errors)
    assert errors == []
    assert len(orders) == 10
    assert Product.objects.get(id=a.id).stock == 40
    assert Product.objects.get(id=b.id).stock == 40
    assert OrderSummary.objects.count() == 10


def test_cart_ids_stay_in_the_session_of_each_client():
    # Guard for the double-click test: its two clients really share one cart.
    product = ProductFactory(name="Shared", stock=3)
    first = Client()
    add_to_cart(first, product, 1)
    second = Client()
    second.cookies = first.cookies
    assert cart_id_of(second) == cart_id_of(first)


def test_shoppers_race_for_two_variants_of_one_coffee_and_neither_is_oversold():
    """Twelve checkouts at once on one product stream, each wanting a unit of the 500 g or
    the 1 kg (3 units each), some both: each variant sells at most its own stock; the other
    variants' stock is untouched."""
    from catalog.models import ProductVariant
    from tests.factories import coffee_with_variants, variant_id_for

    coffee = coffee_with_variants(
        "Race Coffee", sold=[("250 g", "Filter"), ("500 g", "Filter"), ("1 kg", "Filter")], stock=3
    )
    half = ProductVariant.objects.get(id=variant_id_for(coffee.id, ("500 g", "Filter")))
    kilo = ProductVariant.objects.get(id=variant_id_for(coffee.id, ("1 kg", "Filter")))

    def cart_of(*variants):
        cart_id = uuid.uuid4()
        for variant in variants:
            cart_add_item(
                cart_id=cart_id, product=coffee, variant=variant, quantity=1, context=SYSTEM
            )
        return cart_id

    carts = [cart_of(half) for _ in range(5)] + [cart_of(kilo) for _ in range(4)]
    carts += [cart_of(half, kilo) for _ in range(3)]
    orders, errors = split(race([checkout_job(cart_id) for cart_id in carts]))

    report("two variants, one stream", orders, errors)
    assert all(isinstance(error, InsufficientStock) for error in errors), errors
    state = load_state(PRODUCT, coffee.id).state
    stock = {v.sku: v.on_hand for v in state.variants}
    assert stock == dict(ProductVariant.objects.values_list("sku", "stock"))
    assert stock["BC-250G-FILTER"] == 3  # nobody asked for it
    assert stock["BC-500G-FILTER"] >= 0 and stock["BC-1KG-FILTER"] >= 0
    reserved = Counter()
    for event in Event.objects.filter(stream_id=coffee.id, event_type="StockReserved"):
        reserved[event.data["variant_id"]] += event.data["quantity"]
    assert reserved[str(half.id)] == 3 - stock["BC-500G-FILTER"] <= 3
    assert reserved[str(kilo.id)] == 3 - stock["BC-1KG-FILTER"] <= 3
    assert reserved[str(half.id)] + reserved[str(kilo.id)] == sum(
        len(OrderSummary.objects.get(order_id=o.order_id).lines.all()) for o in orders
    )
    assert stock["BC-500G-FILTER"] == 0 or stock["BC-1KG-FILTER"] == 0  # one sold out
