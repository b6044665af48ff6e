"""What a cart holds now, read from the projections and priced by ``cart_totals``."""

from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from django.db.models import prefetch_related_objects

from carts.models import CartLine, CartSummary, Coupon
from carts.pricing import CouponTerms, Totals, cart_totals
from catalog.models import Product


@dataclass(frozen=True, slots=True)
class CartContents:
    summary: CartSummary | None
    totals: Totals
    lines: list[CartLine] = field(default_factory=list)
    coupon: CouponTerms | None = None

    @property
    def item_count(self) -> int:
        return self.summary.item_count if self.summary else 0

    def fetch_pictures(self, *lines: CartLine) -> None:
        """Read the pictures of these lines' products (all lines by default) in one query."""
        prefetch_related_objects([line.product for line in lines or self.lines], "images")

    def line(self, variant_id: UUID) -> CartLine | None:
        return next((line for line in self.lines if line.variant_id == variant_id), None)

    @property
    def weight_grams(self) -> int:
        """What the cart's lines weigh together, in grams (each line: ``weight_grams``)."""
        return sum(line.line_weight_grams for line in self.lines)


def cart_contents(*, cart_id: UUID | None, now: datetime | None = None) -> CartContents:
    """The open cart's lines at today's catalog prices, its coupon, and its totals."""
    summary = (
        CartSummary.objects.filter(cart_id=cart_id, status=CartSummary.Status.OPEN).first()
        if cart_id
        else None
    )
    lines = (
        list(CartLine.objects.filter(cart=summary).select_related("product", "variant"))
        if summary
        else []
    )
    coupon = None
    if summary and summary.coupon_code:
        found = Coupon.objects.filter(code=summary.coupon_code).first()
        coupon = found.terms() if found else None
    totals = cart_totals(
        ((line.quantity, line.variant.unit_price) for line in lines),
        currency=lines[0].product.currency if lines else Product.shop_currency(),
        coupon=coupon,
        now=now,
    )
    return CartContents(summary=summary, totals=totals, lines=lines, coupon=coupon)
