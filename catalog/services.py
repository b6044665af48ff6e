"""Catalog use cases. Every change to a product is a command on its stream."""

import uuid
from collections.abc import Sequence
from decimal import Decimal
from uuid import UUID

from django.conf import settings

from catalog import domain
from shop.aggregates import CommandContext, Decider, Outcome
from shop.money import Money
from shop.unitofwork import UnitOfWork, execute, load_state, run

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


def product_edit(
    *, product_id: UUID, commands: Sequence[domain.Command], context: CommandContext
) -> Outcome[domain.Product]:
    """Several commands on one product in one unit of work: every event is stored, or none.

    A staff save sends what changed (details, price, stock, listing); commands that change
    nothing decide no event, so a save that changes nothing records nothing.
    """

    def work(uow: UnitOfWork):
        stream = uow.load(PRODUCT, product_id)
        for command in commands:
            uow.decide(stream, command)
        return stream

    return run(work, context=context).outcome()


def product_refusals(
    *, product_id: UUID, commands: Sequence[domain.Command]
) -> list[domain.ProductError]:
    """What the product would refuse of ``commands`` on its current state; stores nothing.

    Each command is decided on the state the accepted ones before it lead to, so a form
    can show every refusal at once, each beside its field (``ProductError.field``).
    """
    state = load_state(PRODUCT, product_id).state
    refusals = []
    for command in commands:
        try:
            state = PRODUCT.fold(state, PRODUCT.decide(command, state))
        except domain.ProductError as refusal:
            refusals.append(refusal)
    return refusals


def product_refusals_by_command(
    *, product_id: UUID, commands: Sequence[domain.Command]
) -> list[tuple[domain.Command, domain.ProductError]]:
    """Like ``product_refusals``, each refusal with the command refused (a form with a row
    per variant shows it in that row)."""
    state = load_state(PRODUCT, product_id).state
    refused = []
    for command in commands:
        try:
            state = PRODUCT.fold(state, PRODUCT.decide(command, state))
        except domain.ProductError as refusal:
            refused.append((command, refusal))
    return refused


def product_list(
    *,
    name: str,
    slug: str,
    category: str,
    description: str,
    price: Money,
    stock: int,
    context: CommandContext,
    sku: str = "",
    weight_grams: int = 0,
) -> UUID:
    """List a new product and set its opening stock (one unit of work). Its default
    variant's id is the product's id."""
    product_id = product_id_for(slug)
    command = domain.ListProduct(
        name=name,
        slug=slug,
        category=category,
        description=description,
        price=price,
        variant_id=product_id,
        sku=sku,
        weight_grams=weight_grams,
    )
    product_edit(
        product_id=product_id,
        commands=[command, domain.AdjustStock(on_hand=stock, reason="opening stock")],
        context=context,
    )
    return product_id


def product_change_details(
    *, product_id: UUID, name: str, description: str, category: str, context: CommandContext
) -> Outcome[domain.Product]:
    command = domain.ChangeProductDetails(name=name, description=description, category=category)
    return execute(PRODUCT, product_id, command, context)


def product_change_price(
    *, product_id: UUID, price: Money, context: CommandContext, variant_id: UUID | None = None
) -> Outcome[domain.Product]:
    """Change a variant's price (None: the default variant's)."""
    command = domain.ChangePrice(price=price, variant_id=variant_id)
    return execute(PRODUCT, product_id, command, context)


def product_adjust_stock(
    *,
    product_id: UUID,
    on_hand: int,
    reason: str = "",
    context: CommandContext,
    variant_id: UUID | None = None,
) -> Outcome[domain.Product]:
    """Set a variant's stock on hand (None: the default variant's)."""
    command = domain.AdjustStock(on_hand=on_hand, reason=reason, variant_id=variant_id)
    return execute(PRODUCT, product_id, command, context)


def product_delist(*, product_id: UUID, context: CommandContext) -> Outcome[domain.Product]:
    return execute(PRODUCT, product_id, domain.DelistProduct(), context)


def product_relist(*, product_id: UUID, context: CommandContext) -> Outcome[domain.Product]:
    return execute(PRODUCT, product_id, domain.RelistProduct(), context)
