"""What a cart holds now, read from the projections and priced by ``cart_totals``."""

from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from django.db.models import prefetch_related_objects

from carts.models import CartLine, CartSummary, Coupon
from carts.pricing import CouponTerms, Totals, cart_totals
from catalog.models import Product
from shipping import services as shipping
from shipping.rates import ShippingOffer
from shop.money import TaxClass


@dataclass(frozen=True, slots=True)
class CartContents:
    summary: CartSummary | None
    totals: Totals
    lines: list[CartLine] = field(default_factory=list)
    coupon: CouponTerms | None = None
    country: str = ""  # where the shopper said it ships to (an ISO code), once known
    shipping: ShippingOffer | None = None  # the cheapest method there: an estimate

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


def cart_contents(
    *, cart_id: UUID | None, now: datetime | None = None, country: str = "", vat: bool = True
) -> CartContents:
    """The open cart's lines at today's catalog prices, its coupon, and its totals, with the
    VAT included per rate (unless ``vat`` is False: one query fewer) and, once a
    ``country`` is known, the cheapest shipping there.
    """
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
    if not lines:
        totals = cart_totals([], currency=Product.shop_currency(), coupon=coupon, now=now)
        return CartContents(summary=summary, totals=totals, coupon=coupon)
    rates = shipping.vat_rates(country) if vat else {}
    priced = [
        (line.quantity, line.variant.unit_price, rates.get(TaxClass(line.product.tax_class)))
        for line in lines
    ]
    currency = lines[0].product.currency
    totals = cart_totals(priced, currency=currency, coupon=coupon, now=now)
    code = shipping.country_code(country)
    estimate = None
    if code:
        found = shipping.offers(
            country=code,
            goods_total=totals.goods_total,
            weight_grams=shipping.cart_weight(lines),
        )
        estimate = min(found, key=lambda offer: offer.price.amount, default=None)
        if estimate is not None:
            totals = cart_totals(
                priced, currency=currency, coupon=coupon, now=now, shipping=estimate.price
            )
    return CartContents(
        summary=summary,
        totals=totals,
        lines=lines,
        coupon=coupon,
        country=code,
        shipping=estimate,
    )
