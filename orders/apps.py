from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = "Orders"

    def ready(self) -> None:
        from orders import domain, projections, upcasters  # noqa: F401
        from orders.models import OrderLine, OrderStep, OrderSummary, OrderVat
        from orders.services import ORDER
        from shop import aggregates, registry
        from shop import projections as shop_projections

        registry.register(
            "order",
            domain.EVENTS,
            schema_versions=domain.SCHEMA_VERSIONS,
            personal=domain.PERSONAL,
        )
        aggregates.register_decider(ORDER)
        shop_projections.register(
            "orders",
            stream_type="order",
            rows=projections.order_rows,
            models=[OrderSummary, OrderLine, OrderStep, OrderVat],
            stream_row=OrderSummary,
            created_by=[domain.OrderPlaced],
            last_recorded_at="updated_at",
            keys={
                OrderLine: ("order_id", "variant_id"),
                OrderStep: ("order_id", "version"),
                OrderVat: ("order_id", "rate"),
            },
            # Copied from OrderPlaced's personal fields: an erasure empties them.
            personal={OrderSummary: ("email", "full_name", "address", "city", "postal_code")},
        )
