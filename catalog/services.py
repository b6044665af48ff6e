"""Catalog use cases. Every change to a product is a command on its stream."""

import uuid
from decimal import Decimal
from uuid import UUID

from django.conf import settings

from catalog import domain
from shop.aggregates import CommandContext, Decider, Outcome
from shop.money import Money
from shop.unitofwork import execute

PRODUCT = Decider(
    stream_type="product",
    initial_state=domain.INITIAL,
    decide=domain.decide,
    evolve=domain.evolve,
)

# Product ids derive from the slug, so seeding twice lists nothing twice.
PRODUCT_NAMESPACE = uuid.UUID("6f1c1d4e-2b1a-4f43-9d0e-5a8f6a0c2b11")


def product_id_for(slug: str) -> UUID:
    return uuid.uuid5(PRODUCT_NAMESPACE, slug)


def shop_money(amount: Decimal | str) -> Money:
    return Money(Decimal(amount), settings.SHOP_CURRENCY)


def product_list(
    *,
    name: str,
    slug: str,
    category: str,
    description: str,
    price: Money,
    stock: int,
    context: CommandContext,
) -> UUID:
    """List a new product and set its opening stock."""
    product_id = product_id_for(slug)
    command = domain.ListProduct(
        name=name, slug=slug, category=category, description=description, price=price
    )
    execute(PRODUCT, product_id, command, context)
    if stock:
        product_adjust_stock(
            product_id=product_id, on_hand=stock, reason="opening stock", context=context
        )
    return product_id


def product_change_price(
    *, product_id: UUID, price: Money, context: CommandContext
) -> Outcome[domain.Product]:
    return execute(PRODUCT, product_id, domain.ChangePrice(price=price), context)


def product_adjust_stock(
    *, product_id: UUID, on_hand: int, reason: str = "", context: CommandContext
) -> Outcome[domain.Product]:
    return execute(PRODUCT, product_id, domain.AdjustStock(on_hand=on_hand, reason=reason), context)


def product_delist(*, product_id: UUID, context: CommandContext) -> Outcome[domain.Product]:
    return execute(PRODUCT, product_id, domain.DelistProduct(), context)
