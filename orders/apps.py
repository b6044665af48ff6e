from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = "Orders"

    def ready(self) -> None:
        from orders import domain, projections
        from orders.models import OrderLine, OrderSummary
        from orders.services import ORDER
        from shop import aggregates, registry
        from shop import projections as shop_projections

        registry.register("order", domain.EVENTS)
        projections.connect()
        aggregates.register_decider(ORDER)
        shop_projections.register(
            "orders",
            models=[OrderSummary, OrderLine],
            handler=projections.project_orders,
            keys={OrderLine: ("order_id", "product_id")},
            replay=projections.OrderReplay,
        )
