from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = "Orders"

    def ready(self) -> None:
        from orders import domain, projections
        from shop import registry

        registry.register("order", domain.EVENTS)
        projections.connect()
