"""Cart use cases: one function per command, each one transaction."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from carts import coupons, domain
from carts.models import CartLine, Coupon, CustomerCart
from carts.selectors import cart_contents
from catalog.models import Product, ProductVariant
from shop import eventstore
from shop.aggregates import CommandContext, Decider, Outcome
from shop.unitofwork import Lock, UnitOfWork, execute, load_state, run

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


def _available(product: Product, variant: ProductVariant) -> int:
    return variant.stock if product.is_listed else 0


def default_variant(product: Product) -> ProductVariant:
    """The product's default variant (its id is the product's)."""
    return ProductVariant.objects.get(id=product.id)


def cart_add_item(
    *,
    cart_id: UUID,
    product: Product,
    quantity: int,
    context: CommandContext,
    variant: ProductVariant | None = None,
) -> Outcome[domain.Cart]:
    """Add ``quantity`` of a variant of ``product`` (None: its default one) at the
    variant's current catalog price; each variant is a line of its own."""
    variant = variant or default_variant(product)
    command = domain.AddItem(
        product_id=product.id,
        variant_id=variant.id,
        quantity=quantity,
        unit_price=variant.unit_price,
        available=_available(product, variant),
    )
    return execute(CART, cart_id, command, context)


def cart_change_quantity(
    *,
    cart_id: UUID,
    product: Product,
    quantity: int,
    context: CommandContext,
    variant: ProductVariant | None = None,
) -> Outcome[domain.Cart]:
    """Set the quantity of the variant's line (None: the default variant); 0 removes it."""
    variant = variant or default_variant(product)
    command = domain.ChangeQuantity(
        product_id=product.id,
        variant_id=variant.id,
        quantity=quantity,
        available=_available(product, variant),
    )
    if quantity == 0:
        return _remove_line(cart_id, command, context)
    return execute(CART, cart_id, command, context)


def cart_remove_item(
    *, cart_id: UUID, product_id: UUID, context: CommandContext, variant_id: UUID | None = None
) -> Outcome[domain.Cart]:
    command = domain.RemoveItem(product_id=product_id, variant_id=variant_id)
    return _remove_line(cart_id, command, context)


def _remove_line(cart_id: UUID, command, context: CommandContext) -> Outcome[domain.Cart]:
    """Take a line out; its ``ItemRemoved`` keeps the line's slot in its metadata (where
    the cart shows it, ``CartLine.slot``), so an undo can put the line back there."""

    def work(uow: UnitOfWork):
        cart = uow.load(CART, cart_id)
        slot = (
            CartLine.objects.filter(cart_id=cart_id, variant_id=command.line_id)
            .values_list("slot", flat=True)
            .first()
        )
        uow.decide(cart, command, **({"slot": slot} if slot else {}))
        return cart

    return run(work, context=context).outcome()


def cart_apply_coupon(
    *, cart_id: UUID, code: str, now: datetime, context: CommandContext
) -> Outcome[domain.Cart]:
    """Apply the coupon ``code`` (any case), if it exists and the cart qualifies now.

    Whether a limited coupon has a redemption left is read from its own stream.
    """
    coupon = Coupon.objects.filter(code=code.strip().upper()).first()
    subtotal = cart_contents(cart_id=cart_id, now=now).totals.subtotal

    def work(uow: UnitOfWork):
        cart = uow.load(CART, cart_id)
        used_up = False
        if coupon is not None and coupon.max_redemptions is not None:
            usage = load_state(COUPON, coupon.stream_id)  # read only: no lock, no append
            used_up = coupons.used_up(usage.state, coupon.max_redemptions)
        command = domain.ApplyCoupon(
            code=code,
            coupon=coupon.terms() if coupon else None,
            subtotal=subtotal,
            now=now,
            used_up=used_up,
        )
        uow.decide(cart, command)
        return cart

    return run(work, context=context).outcome()


def cart_remove_coupon(*, cart_id: UUID, context: CommandContext) -> Outcome[domain.Cart]:
    return execute(CART, cart_id, domain.RemoveCoupon(), context)


def cart_undo_removal(
    *, cart_id: UUID, removal_position: int, now: datetime, context: CommandContext
) -> Outcome[domain.Cart]:
    """Put back the line that the ``ItemRemoved`` at ``removal_position`` took out.

    The new ``ItemAdded`` names the removal in its metadata (``undoes``), so a removal is
    undone at most once. Only a recent removal of this very cart can be undone.
    """

    def work(uow: UnitOfWork):
        cart = uow.load(CART, cart_id)
        since = eventstore.load_since(cart_id, position=removal_position)
        removal = since[0] if since and since[0].position == removal_position else None
        if (
            removal is None
            or not isinstance(removal.event, domain.ItemRemoved)
            or removal.recorded_at is None
            or now - removal.recorded_at > UNDO_WINDOW
            or any(e.metadata.get("undoes") == removal_position for e in since)
        ):
            raise domain.NothingToUndo()
        removed = removal.event
        slot = removal.metadata.get("slot") or removal_position  # where the line was
        variant = (
            ProductVariant.objects.select_related("product").filter(id=removed.variant_id).first()
        )
        command = domain.AddItem(
            product_id=removed.product_id,
            variant_id=removed.variant_id,
            quantity=removed.quantity,
            unit_price=removed.unit_price,
            available=_available(variant.product, variant) if variant else 0,
        )
        uow.decide(cart, command, undoes=removal_position, slot=slot)
        return cart

    return run(work, context=context).outcome()


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
    guest cart closes (``CartMergedInto``), both in one unit of work. Merging is idempotent
    per guest cart, so logging in twice or twice at once never adds quantities twice.
    """

    def work(uow: UnitOfWork) -> Claim:
        owned = CustomerCart.objects.filter(user_id=user_id).first()
        ids = {i for i in (guest_cart_id, owned and owned.cart_id) if i is not None}
        carts = {cart.stream_id: cart for cart in uow.load_many(CART, ids)}
        guest = carts.get(guest_cart_id)
        guest_open = guest is not None and _is_open(guest.state)
        if owned is None:
            if not guest_open:
                return Claim(None)
            CustomerCart.objects.get_or_create(user_id=user_id, defaults={"cart_id": guest_cart_id})
            return Claim(guest_cart_id)
        if owned.cart_id == guest_cart_id:
            return Claim(owned.cart_id)
        target = carts[owned.cart_id]
        if not _is_open(target.state):  # a stale row: that cart was checked out
            if not guest_open:
                owned.delete()
                return Claim(None)
            owned.cart_id = guest_cart_id
            owned.save(update_fields=["cart_id", "updated_at"])
            return Claim(guest_cart_id)
        if not guest_open or guest.state.is_empty:
            return Claim(owned.cart_id)
        variants = ProductVariant.objects.select_related("product").filter(
            id__in=[line.variant_id for line in guest.state.lines]
        )
        merge = domain.MergeCart(
            source_cart_id=guest_cart_id,
            lines=guest.state.lines,
            available={variant.id: _available(variant.product, variant) for variant in variants},
        )
        merged = uow.decide(target, merge)
        uow.decide(guest, domain.CloseAsMerged(target_cart_id=owned.cart_id))
        lines = merged[0].lines if merged else ()
        return Claim(owned.cart_id, merged_from=guest_cart_id, lines=lines)

    return run(work, context=context, lock=Lock.AFTER_CONFLICT)
