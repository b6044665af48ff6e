"""Cart use cases: one function per command, each one transaction."""

from uuid import UUID

from carts import domain
from catalog.models import Product
from shop.aggregates import CommandContext, Decider, Outcome, execute

CART = Decider(
    stream_type="cart",
    initial_state=domain.INITIAL,
    decide=domain.decide,
    evolve=domain.evolve,
)


def cart_add_item(
    *, cart_id: UUID, product: Product, quantity: int, context: CommandContext
) -> Outcome[domain.Cart]:
    """Add ``quantity`` of ``product`` at its current catalog price."""
    command = domain.AddItem(
        product_id=product.id,
        quantity=quantity,
        unit_price=product.unit_price,
        available=product.stock if product.is_listed else 0,
    )
    return execute(CART, cart_id, command, context)
