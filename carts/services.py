"""Cart use cases: one function per command, each one transaction."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from carts import coupons, domain
from carts.models import Coupon, CustomerCart
from carts.selectors import cart_contents
from catalog.models import Product
from shop import eventstore
from shop.aggregates import (
    CommandContext,
    Decider,
    Outcome,
    execute,
    load_state,
    retrying,
)

CART = Decider(
    stream_type="cart",
    initial_state=domain.INITIAL,
    decide=domain.decide,
    evolve=domain.evolve,
)

COUPON = Decider(
    stream_type="coupon",
    initial_state=coupons.INITIAL,
    decide=coupons.decide,
    evolve=coupons.evolve,
)

UNDO_WINDOW = timedelta(minutes=15)  # how long a removal can be undone


def _available(product: Product) -> int:
    return product.stock if product.is_listed else 0


def cart_add_item(
    *, cart_id: UUID, product: Product, quantity: int, context: CommandContext
) -> Outcome[domain.Cart]:
    """Add ``quantity`` of ``product`` at its current catalog price."""
    command = domain.AddItem(
        product_id=product.id,
        quantity=quantity,
        unit_price=product.unit_price,
        available=_available(product),
    )
    return execute(CART, cart_id, command, context)


def cart_change_quantity(
    *, cart_id: UUID, product: Product, quantity: int, context: CommandContext
) -> Outcome[domain.Cart]:
    """Set the line's quantity; 0 removes the line."""
    command = domain.ChangeQuantity(
        product_id=product.id, quantity=quantity, available=_available(product)
    )
    return execute(CART, cart_id, command, context)


def cart_remove_item(
    *, cart_id: UUID, product_id: UUID, context: CommandContext
) -> Outcome[domain.Cart]:
    return execute(CART, cart_id, domain.RemoveItem(product_id=product_id), context)


def cart_apply_coupon(
    *, cart_id: UUID, code: str, now: datetime, context: CommandContext
) -> Outcome[domain.Cart]:
    """Apply the coupon ``code`` (any case), if it exists and the cart qualifies now."""
    coupon = Coupon.objects.filter(code=code.strip().upper()).first()
    subtotal = cart_contents(cart_id=cart_id, now=now).totals.subtotal
    command = domain.ApplyCoupon(
        code=code, coupon=coupon.terms() if coupon else None, subtotal=subtotal, now=now
    )
    return execute(CART, cart_id, command, context)


def cart_remove_coupon(*, cart_id: UUID, context: CommandContext) -> Outcome[domain.Cart]:
    return execute(CART, cart_id, domain.RemoveCoupon(), context)


def cart_undo_removal(
    *, cart_id: UUID, removal_position: int, now: datetime, context: CommandContext
) -> Outcome[domain.Cart]:
    """Put back the line that the ``ItemRemoved`` at ``removal_position`` took out.

    The new ``ItemAdded`` names the removal in its metadata (``undoes``), so a removal is
    undone at most once. Only a recent removal of this very cart can be undone.
    """

    def attempt() -> Outcome[domain.Cart]:
        history = eventstore.load(cart_id)
        removal = next(
            (
                e
                for e in history
                if e.position == removal_position and isinstance(e.event, domain.ItemRemoved)
            ),
            None,
        )
        if (
            removal is None
            or removal.recorded_at is None
            or now - removal.recorded_at > UNDO_WINDOW
            or any(e.metadata.get("undoes") == removal_position for e in history)
        ):
            raise domain.NothingToUndo()
        removed = removal.event
        product = Product.objects.filter(id=removed.product_id).first()
        command = domain.AddItem(
            product_id=removed.product_id,
            quantity=removed.quantity,
            unit_price=removed.unit_price,
            available=_available(product) if product else 0,
        )
        state = CART.fold(CART.initial_state, [e.event for e in history])
        version = history[-1].version
        new_events = CART.decide(command, state)
        undo_context = CommandContext(
            actor=context.actor,
            command_id=context.command_id,
            correlation_id=context.correlation_id,
            causation_id=context.causation_id,
            extra={**context.extra, "undoes": removal_position},
        )
        recorded = eventstore.append(
            stream_type=CART.stream_type,
            stream_id=cart_id,
            events=new_events,
            expected_version=version,
            metadata=undo_context.metadata(),
        )
        return Outcome(CART.fold(state, new_events), version + len(new_events), recorded)

    return retrying(attempt)


@dataclass(frozen=True, slots=True)
class Claim:
    """The customer's cart after logging in, and what a guest cart brought into it."""

    cart_id: UUID | None
    merged_from: UUID | None = None
    lines: tuple[domain.Line, ...] = ()


def _is_open(cart: domain.Cart) -> bool:
    return not cart.checked_out and cart.merged_into is None


def cart_claim_for_customer(
    *, user_id: int, guest_cart_id: UUID | None, context: CommandContext
) -> Claim:
    """On login: the customer keeps their open cart, and the guest cart merges into it.

    A customer without an open cart takes the guest cart over as it is. Otherwise the guest
    cart's lines fold into the customer's cart (``CartMerged``, capped by stock) and the
    guest cart closes (``CartMergedInto``), both in one transaction. Merging is idempotent
    per guest cart, so logging in twice or twice at once never adds quantities twice.
    """

    def attempt() -> Claim:
        guest = load_state(CART, guest_cart_id) if guest_cart_id else None
        guest_open = guest is not None and _is_open(guest.state)
        owned = CustomerCart.objects.filter(user_id=user_id).first()
        if owned is None:
            if not guest_open:
                return Claim(None)
            CustomerCart.objects.get_or_create(user_id=user_id, defaults={"cart_id": guest_cart_id})
            return Claim(guest_cart_id)
        if owned.cart_id == guest_cart_id:
            return Claim(owned.cart_id)
        target = load_state(CART, owned.cart_id)
        if not _is_open(target.state):  # a stale row: that cart was checked out
            if not guest_open:
                owned.delete()
                return Claim(None)
            owned.cart_id = guest_cart_id
            owned.save(update_fields=["cart_id", "updated_at"])
            return Claim(guest_cart_id)
        if not guest_open or guest.state.is_empty:
            return Claim(owned.cart_id)
        stock = Product.objects.filter(id__in=[line.product_id for line in guest.state.lines])
        merge = domain.MergeCart(
            source_cart_id=guest_cart_id,
            lines=guest.state.lines,
            available={product.id: _available(product) for product in stock},
        )
        merged = CART.decide(merge, target.state)
        closed = CART.decide(domain.CloseAsMerged(target_cart_id=owned.cart_id), guest.state)
        for stream_id, loaded, events in (
            (owned.cart_id, target, merged),
            (guest_cart_id, guest, closed),
        ):
            eventstore.append(
                stream_type=CART.stream_type,
                stream_id=stream_id,
                events=events,
                expected_version=loaded.version,
                metadata=context.metadata(),
            )
        lines = merged[0].lines if merged else ()
        return Claim(owned.cart_id, merged_from=guest_cart_id, lines=lines)

    return retrying(attempt)
