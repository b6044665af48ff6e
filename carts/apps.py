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

        registry.register("cart", domain.EVENTS, schema_versions=domain.SCHEMA_VERSIONS)
        registry.register("coupon", coupons.EVENTS)
        aggregates.register_decider(CART)
        aggregates.register_decider(COUPON)
        shop_projections.register(
            "carts",
            stream_type="cart",
            rows=projections.cart_rows,
            models=[CartSummary, CartLine],
            stream_row=CartSummary,
            first_recorded_at="created_at",
            last_recorded_at="updated_at",
            keys={CartLine: ("cart_id", "variant_id")},
            metadata_keys=("slot",),  # an undone removal's line goes back to its slot
        )
        shop_projections.register(
            "coupon redemptions",  # Coupon rows are staff data: replay only the count
            stream_type="coupon",
            rows=projections.coupon_rows,
            models=[Coupon],
            reset=lambda: Coupon.objects.update(redemptions=0),
            keys={Coupon: ("code",)},
            fields={Coupon: ("redemptions",)},
        )
