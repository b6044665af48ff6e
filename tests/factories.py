"""Factories that build data the way the shop does: through commands, so every row has events."""

from decimal import Decimal

import factory

from carts import services as cart_services
from carts.session import SESSION_KEY
from catalog.models import Category, Product
from catalog.services import product_list, shop_money
from shop.aggregates import CommandContext

SYSTEM = CommandContext(actor="system:tests")


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ["slug"]

    slug = factory.Sequence(lambda n: f"category-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.replace("-", " ").title())


class ProductFactory(factory.Factory):
    """Lists a product through ``catalog.services.product_list``; returns the read model."""

    class Meta:
        model = Product

    name = factory.Sequence(lambda n: f"Test Product {n}")
    slug = factory.LazyAttribute(lambda o: o.name.lower().replace(" ", "-"))
    category = factory.SubFactory(CategoryFactory)
    description = "A product made for tests."
    price = Decimal("10.00")
    stock = 50

    @classmethod
    def _create(cls, model_class, **kwargs):
        product_id = product_list(
            name=kwargs["name"],
            slug=kwargs["slug"],
            category=kwargs["category"].slug,
            description=kwargs["description"],
            price=shop_money(kwargs["price"]),
            stock=kwargs["stock"],
            context=SYSTEM,
        )
        return Product.objects.get(id=product_id)


# Every cart action a shopper posts (each refuses GET and HEAD, each escapes what it echoes).
CART_ACTIONS = [
    "/cart/add/",
    "/cart/change/",
    "/cart/remove/",
    "/cart/undo/",
    "/cart/coupon/",
    "/cart/coupon/remove/",
]


PASSWORD = "a-long-enough-passphrase-42"  # passes Django's password validators


def sign_up(client, username="grace", *, email=None, password=PASSWORD):
    """Post the sign-up form (the email defaults to <username>@example.com)."""
    email = f"{username}@example.com" if email is None else email
    return client.post(
        "/accounts/signup/",
        {"username": username, "email": email, "password1": password, "password2": password},
    )


def add_to_cart(client, product, quantity=1, **extra):
    return client.post("/cart/add/", {"product": str(product.id), "quantity": quantity}, **extra)


def cart_id_of(client):
    return client.session.get(SESSION_KEY)


__all__ = [
    "CART_ACTIONS",
    "PASSWORD",
    "CategoryFactory",
    "ProductFactory",
    "add_to_cart",
    "cart_id_of",
    "cart_services",
    "sign_up",
]


def coffee_with_variants(
    name="Brazil Cerrado",
    *,
    sizes=("250 g", "500 g", "1 kg"),
    grinds=("Whole bean", "Espresso", "Filter", "French press"),
    sold=None,
    price="9.80",
    stock=10,
):
    """A coffee listed with Size and Grind and a variant per combination in ``sold`` (every
    one by default): SKU BC-<size>-<grind>, price ``price`` plus 8.00 per size step, stock
    ``stock`` each, weight the size in grams. Returns the read model."""
    from catalog import domain
    from catalog.services import product_edit, product_id_for

    slug = name.lower().replace(" ", "-")
    product_id = product_id_for(slug)
    CategoryFactory(slug="coffee", name="Coffee")
    combos = sold or [(size, grind) for size in sizes for grind in grinds]
    grams = {"250 g": 250, "500 g": 500, "1 kg": 1000}

    def sku(options):
        return "-".join(("BC", *(o.replace(" ", "").upper() for o in options)))

    def priced(options):
        return shop_money(Decimal(price) + 8 * sizes.index(options[0]))

    first, *others = combos
    commands = [
        domain.ListProduct(
            name=name,
            slug=slug,
            category="coffee",
            description="Chocolate and nuts.",
            price=priced(first),
            variant_id=product_id,
            sku=sku(first),
            weight_grams=grams.get(first[0], 250),
        ),
        domain.AdjustStock(on_hand=stock),
        domain.AddOptionGroup(name="Size", values=tuple(sizes)),
        domain.AddOptionGroup(name="Grind", values=tuple(grinds)),
        domain.ChangeVariant(
            variant_id=product_id,
            sku=sku(first),
            weight_grams=grams.get(first[0], 250),
            options=tuple(first),
        ),
        *(
            domain.AddVariant(
                variant_id=variant_id_for(product_id, options),
                sku=sku(options),
                price=priced(options),
                weight_grams=grams.get(options[0], 250),
                options=tuple(options),
                on_hand=stock,
            )
            for options in others
        ),
    ]
    product_edit(product_id=product_id, commands=commands, context=SYSTEM)
    return Product.objects.get(id=product_id)


def variant_id_for(product_id, options):
    import uuid

    return uuid.uuid5(product_id, "/".join(options))
