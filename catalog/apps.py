from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = "Catalog"

    def ready(self) -> None:
        from catalog import domain, projections
        from shop import registry

        registry.register("product", domain.EVENTS)
        projections.connect()
