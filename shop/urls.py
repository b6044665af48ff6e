from django.contrib import admin
from django.urls import include, path

from shop import views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", views.healthz, name="healthz"),
    path("", include("catalog.urls")),
    path("", include("carts.urls")),
    path("", include("orders.urls")),
    path("", include("accounts.urls")),
    path("", include("subscriptions.urls")),
]

handler500 = "shop.views.server_error"
