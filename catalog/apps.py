from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = "Catalog"

    def ready(self) -> None:
        from catalog import domain, projections
        from catalog.models import Product
        from catalog.services import PRODUCT
        from shop import aggregates, registry
        from shop import projections as shop_projections

        registry.register("product", domain.EVENTS)
        aggregates.register_decider(PRODUCT)
        shop_projections.register(
            "products",
            stream_type="product",
            rows=projections.product_rows,
            models=[Product],
            stream_row=Product,
            created_by=[domain.ProductListed],
        )
