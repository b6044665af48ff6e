"""Shopper and staff journeys built through the shop's own commands: fixed ones for the
staff tests, random ones (``JOURNEY``, played by ``Shop``) for property tests."""

import contextlib
import uuid
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import Permission, User
from django.db import transaction
from django.utils import timezone
from hypothesis import strategies as st

from carts import coupons
from carts.domain import ApplyCoupon, CartError, CheckoutCart, RemoveItem
from carts.models import Coupon, CustomerCart
from carts.services import (
    CART,
    COUPON,
    cart_add_item,
    cart_apply_coupon,
    cart_change_quantity,
    cart_claim_for_customer,
    cart_remove_coupon,
    cart_remove_item,
)
from catalog.domain import AddOptionGroup, AddVariant, ChangeTaxClass, ProductError
from catalog.models import Product, ProductVariant
from catalog.services import (
    product_adjust_stock,
    product_change_details,
    product_change_price,
    product_delist,
    product_edit,
    product_list,
    product_relist,
)
from orders.domain import Address, Customer, LineQuantity, OrderError
from orders.services import (
    ORDER,
    order_checkout,
    order_claim_for_customer,
    order_mark_shipped,
    order_receive_return,
)
from shop.aggregates import CommandContext
from shop.eventstore import events_appended, to_recorded
from shop.models import Event
from shop.money import Money, TaxClass
from shop.unitofwork import execute, load_state


def shopper(actor="guest:tests") -> CommandContext:
    """A fresh context per command, as each request gets its own ids."""
    return CommandContext(actor=actor)


STAFF_PERMISSIONS = [
    ("shop", "view_event"),
    ("catalog", "view_product"),
    ("catalog", "change_product"),
    ("carts", "view_cartsummary"),
    ("carts", "view_cartline"),
]


def staff_user(username="staff", password="staff-password-1", permissions=STAFF_PERMISSIONS):
    user = User.objects.create_user(username, password=password, is_staff=True)
    for app_label, codename in permissions:
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return user


def checked_out_cart(kept, removed, *, cart_id=None):
    """Add two products, remove one, check out: the cart a staff member investigates."""
    cart_id = cart_id or uuid.uuid4()
    cart_add_item(cart_id=cart_id, product=kept, quantity=2, context=shopper())
    cart_add_item(cart_id=cart_id, product=removed, quantity=1, context=shopper())
    execute(CART, cart_id, RemoveItem(product_id=removed.id), shopper())
    order_id = uuid.uuid4()
    execute(CART, cart_id, CheckoutCart(order_id=order_id), shopper())
    return cart_id, order_id


def apply_coupon(cart_id, code, subtotal: Money, *, context=None):
    coupon = Coupon.objects.get(code=code.upper())
    command = ApplyCoupon(code=code, coupon=coupon.terms(), subtotal=subtotal, now=timezone.now())
    return execute(CART, cart_id, command, context or shopper())


def redeem_coupon(code, order_id, *, context=None):
    coupon = Coupon.objects.get(code=code.upper())
    command = coupons.RedeemCoupon(
        code=coupon.code, order_id=order_id, max_redemptions=coupon.max_redemptions
    )
    return execute(COUPON, coupon.stream_id, command, context or shopper())


def ten_percent_coupon(code="TEN"):
    return Coupon.objects.create(code=code, value=Decimal("10"))


# --- Random journeys, for property tests ----------------------------------------------------
# A journey is a list of steps drawn by hypothesis; ``Shop.run`` plays them through the
# services, as shoppers and staff would, skipping what the shop refuses.

CARTS = 4  # cart slots; slot 0 belongs to a customer, so other carts can merge into it
PRODUCTS = 3
A_CART = st.integers(0, CARTS - 1)
A_PRODUCT = st.integers(0, PRODUCTS - 1)
QUANTITY = st.integers(1, 4)

ARGUMENTS = {
    "add": (A_CART, A_PRODUCT, QUANTITY),
    "add v1": (A_CART, A_PRODUCT, QUANTITY),
    "add variant": (A_CART, QUANTITY),  # the last product's second variant (500 g)
    "change variant": (A_CART, st.integers(0, 4)),
    "restock variant": (st.integers(0, 6),),
    "change": (A_CART, A_PRODUCT, st.integers(0, 4)),  # 0 removes the line
    "remove": (A_CART, A_PRODUCT),
    "apply coupon": (A_CART,),
    "remove coupon": (A_CART,),
    "merge": (st.integers(1, CARTS - 1),),  # into the customer's cart
    "checkout": (A_CART,),
    # one of the orders placed so far, with a test card (a good one, or a declined one)
    "pay": (st.integers(0, 9), st.sampled_from(["4242424242424242", "4000000000000002"])),
    "refund": (st.integers(0, 9), st.sampled_from(["0.01", "1.00", "3.33", "100.00"])),
    "return": (st.integers(0, 9), st.integers(1, 2)),
    "ship": (st.integers(0, 9),),
    "cancel": (st.integers(0, 9),),
    "claim": (st.integers(0, 9),),  # the customer claims a guest order (sign-up, log-in)
    "reprice": (A_PRODUCT, st.sampled_from(["4.20", "7.5"])),
    "restock": (A_PRODUCT, st.integers(1, 6)),
    "delist": (A_PRODUCT,),
    "relist": (A_PRODUCT,),
    "rename": (A_PRODUCT, st.sampled_from(["Renamed", "Kenya AA"])),
    "tax": (A_PRODUCT, st.sampled_from(list(TaxClass))),  # staff change its tax class
}
# Shoppers mostly add (most other steps need a line), and change their minds often.
KINDS = [*["add"] * 6, *["change", "remove", "checkout"] * 2, *ARGUMENTS]
STEP = st.sampled_from(KINDS).flatmap(lambda kind: st.tuples(st.just(kind), *ARGUMENTS[kind]))
JOURNEY = st.lists(STEP, min_size=20, max_size=60)

REFUSALS = (CartError, ProductError, OrderError, coupons.CouponUsedUp)


ADDRESS = Address(
    full_name="Journey Shopper",
    address="1 Road",
    city="Town",
    postal_code="1000",
    country="Portugal",
)


class Shop:
    """A few products, a coupon that can be used twice, a customer and their carts."""

    def __init__(self) -> None:
        suffix = uuid.uuid4().hex[:8]
        self.products = [
            product_list(
                name=f"Journey {n} {suffix}",
                slug=f"journey-{n}-{suffix}",
                category="",
                description="",
                price=Money(Decimal("3.50") + n, settings.SHOP_CURRENCY),
                stock=5,
                context=shopper("system:tests"),
            )
            for n in range(PRODUCTS)
        ]
        # The last product comes in two sizes: its default variant and a 500 g one.
        self.variant = uuid.uuid5(self.products[-1], "500 g")
        product_edit(
            product_id=self.products[-1],
            commands=[
                AddOptionGroup(name="Size", values=("250 g", "500 g")),
                AddVariant(
                    variant_id=self.variant,
                    sku=f"J-500-{suffix}",
                    price=Money(Decimal("9.90"), settings.SHOP_CURRENCY),
                    weight_grams=500,
                    options=("500 g",),
                    on_hand=3,
                ),
            ],
            context=shopper("system:tests"),
        )
        self.coupon = Coupon.objects.create(
            code=f"J{suffix}".upper(), value=Decimal("10"), max_redemptions=2
        )
        self.customer = User.objects.create_user(f"journey-{suffix}")
        self.carts = [uuid.uuid4() for _ in range(CARTS)]
        self.orders: list[uuid.UUID] = []

    def run(self, steps) -> None:
        for step in steps:
            with contextlib.suppress(REFUSALS):
                self.step(*step)

    def product(self, n: int) -> Product:
        return Product.objects.get(id=self.products[n])

    def step(self, action: str, *args) -> None:
        now = timezone.now()
        match action, args:
            case "add", (cart, product, quantity):
                cart_add_item(
                    cart_id=self.carts[cart],
                    product=self.product(product),
                    quantity=quantity,
                    context=shopper(),
                )
            case "add variant", (cart, quantity):
                cart_add_item(
                    cart_id=self.carts[cart],
                    product=self.product(PRODUCTS - 1),
                    variant=ProductVariant.objects.get(id=self.variant),
                    quantity=quantity,
                    context=shopper(),
                )
            case "change variant", (cart, quantity):
                cart_change_quantity(
                    cart_id=self.carts[cart],
                    product=self.product(PRODUCTS - 1),
                    variant=ProductVariant.objects.get(id=self.variant),
                    quantity=quantity,
                    context=shopper(),
                )
            case "restock variant", (on_hand,):
                product_adjust_stock(
                    product_id=self.products[-1],
                    variant_id=self.variant,
                    on_hand=on_hand,
                    context=shopper(),
                )
            case "add v1", (cart, product, quantity):
                self.add_as_v1(self.carts[cart], self.product(product), max(quantity, 1))
            case "change", (cart, product, quantity):
                cart_change_quantity(
                    cart_id=self.carts[cart],
                    product=self.product(product),
                    quantity=quantity,
                    context=shopper(),
                )
            case "remove", (cart, product):
                cart_remove_item(
                    cart_id=self.carts[cart], product_id=self.products[product], context=shopper()
                )
            case "apply coupon", (cart,):
                cart_apply_coupon(
                    cart_id=self.carts[cart], code=self.coupon.code, now=now, context=shopper()
                )
            case "remove coupon", (cart,):
                cart_remove_coupon(cart_id=self.carts[cart], context=shopper())
            case "merge", (cart,):
                CustomerCart.objects.get_or_create(
                    user=self.customer, defaults={"cart_id": self.carts[0]}
                )
                cart_claim_for_customer(
                    user_id=self.customer.pk, guest_cart_id=self.carts[cart], context=shopper()
                )
            case "checkout", (cart,):
                placed = order_checkout(
                    cart_id=self.carts[cart],
                    command_id=uuid.uuid4(),
                    customer=Customer(
                        email="journey@example.com",
                        user_id=self.customer.pk if cart == 0 else None,
                        actor=f"user:{self.customer.pk}" if cart == 0 else "guest:journey",
                    ),
                    address=ADDRESS,
                    context=shopper(),
                )
                self.orders.append(placed.order_id)
            case "pay", (order, number) if self.orders:
                from tests.payments import pay

                pay(self.orders[order % len(self.orders)], number, context=shopper())
            case "refund", (order, amount) if self.orders:
                from payments.services import payment_refund

                payment_refund(
                    order_id=self.orders[order % len(self.orders)],
                    refund_id=uuid.uuid4(),
                    amount=Money(Decimal(amount), settings.SHOP_CURRENCY),
                    context=shopper("user:staff"),
                )
            case "return", (order, units) if self.orders:
                order_id = self.orders[order % len(self.orders)]
                line = load_state(ORDER, order_id).state.lines[0]
                order_receive_return(
                    order_id=order_id,
                    return_id=uuid.uuid4(),
                    lines=(
                        LineQuantity(
                            product_id=line.product_id, variant_id=line.variant_id, quantity=units
                        ),
                    ),
                    context=shopper("user:staff"),
                )
            case "ship" | "cancel", (order,) if self.orders:
                order_id = self.orders[order % len(self.orders)]
                staff = shopper("user:staff")
                if action == "ship":
                    order_mark_shipped(order_id=order_id, context=staff)
                else:
                    from payments.services import order_cancel_and_refund

                    order_cancel_and_refund(order_id=order_id, reason="journey", context=staff)
            case "claim", (order,) if self.orders:
                order_claim_for_customer(
                    order_ids=[self.orders[order % len(self.orders)]],
                    user_id=self.customer.pk,
                    context=shopper(f"user:{self.customer.pk}"),
                )
            case "reprice", (product, price):
                product_change_price(
                    product_id=self.products[product],
                    price=Money(Decimal(price), settings.SHOP_CURRENCY),
                    context=shopper("user:staff"),
                )
            case "restock", (product, on_hand):
                product_adjust_stock(
                    product_id=self.products[product], on_hand=on_hand, context=shopper()
                )
            case "delist", (product,):
                product_delist(product_id=self.products[product], context=shopper("user:staff"))
            case "relist", (product,):
                product_relist(product_id=self.products[product], context=shopper("user:staff"))
            case "tax", (product, tax_class):
                product_edit(
                    product_id=self.products[product],
                    commands=[ChangeTaxClass(tax_class=tax_class)],
                    context=shopper("user:staff"),
                )
            case "rename", (product, name):
                current = self.product(product)
                product_change_details(
                    product_id=current.id,
                    name=name,
                    description=current.description,
                    category=current.category_id or "",
                    context=shopper("user:staff"),
                )

    def add_as_v1(self, cart_id: uuid.UUID, product: Product, quantity: int) -> None:
        """Append an ``ItemAdded`` as the shop stored it before v2 (a plain decimal price),
        and project it as the shop did then; only on an open cart, as the old shop would."""
        loaded = load_state(CART, cart_id)
        if loaded.state.checked_out or loaded.state.merged_into is not None:
            return
        with transaction.atomic():
            row = Event.objects.create(
                stream_type="cart",
                stream_id=cart_id,
                version=loaded.version + 1,
                event_type="ItemAdded",
                schema_version=1,
                data={
                    "product_id": str(product.id),
                    "quantity": quantity,
                    "unit_price": str(product.price),
                },
                metadata={"actor": "guest:2025"},
                recorded_at=timezone.now(),
            )
            events_appended.send(sender="cart", events=[to_recorded(row)])
