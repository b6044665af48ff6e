"""The shop's URLs plus the CRUD baseline's add-to-cart (benchmark settings only)."""

from django.urls import include, path

from shop.urls import handler500, urlpatterns

urlpatterns = [*urlpatterns, path("", include("benchmarks.crud.urls"))]

__all__ = ["handler500", "urlpatterns"]
