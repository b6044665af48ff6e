from django.apps import AppConfig


class CartsConfig(AppConfig):
    name = "carts"
    verbose_name = "Carts"

    def ready(self) -> None:
        from carts import coupons, domain, projections, upcasters  # noqa: F401
        from carts.models import CartLine, CartSummary, Coupon
        from carts.services import CART, COUPON
        from shop import aggregates, registry
        from shop import projections as shop_projections

        registry.register("cart", domain.EVENTS, schema_versions={domain.ItemAdded: 2})
        registry.register("coupon", coupons.EVENTS)
        projections.connect()
        aggregates.register_decider(CART)
        aggregates.register_decider(COUPON)
        shop_projections.register(
            "carts",
            models=[CartSummary, CartLine],
            handler=projections.project_carts,
            keys={CartLine: ("cart_id", "product_id")},
            replay=projections.CartReplay,
        )
        shop_projections.register(
            "coupon redemptions",  # Coupon rows are staff data: replay only the count
            models=[Coupon],
            handler=projections.project_coupons,
            reset=lambda: Coupon.objects.update(redemptions=0),
            keys={Coupon: ("code",)},
            fields={Coupon: ("redemptions",)},
            replay=projections.CouponRedemptionReplay,
        )
