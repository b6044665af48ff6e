from django.apps import AppConfig


class CartsConfig(AppConfig):
    name = "carts"
    verbose_name = "Carts"

    def ready(self) -> None:
        from carts import coupons, domain, projections
        from shop import registry

        registry.register("cart", domain.EVENTS)
        registry.register("coupon", coupons.EVENTS)
        projections.connect()
