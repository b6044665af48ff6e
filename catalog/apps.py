from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = "Catalog"

    def ready(self) -> None:
        from django.db.models.signals import post_delete

        from catalog import domain, images, projections, upcasters  # noqa: F401
        from catalog.models import Product, ProductImage, ProductOptionGroup, ProductVariant
        from catalog.services import PRODUCT
        from shop import aggregates, registry
        from shop import projections as shop_projections

        registry.register("product", domain.EVENTS, schema_versions=domain.SCHEMA_VERSIONS)
        aggregates.register_decider(PRODUCT)
        shop_projections.register(
            "products",
            stream_type="product",
            rows=projections.product_rows,
            models=[Product, ProductVariant, ProductOptionGroup],
            stream_row=Product,
            created_by=[domain.ProductListed],
            keys={ProductOptionGroup: ("product_id", "position")},
        )
        post_delete.connect(
            images.delete_picture_files,
            sender=ProductImage,
            dispatch_uid="catalog.delete_picture_files",
        )
