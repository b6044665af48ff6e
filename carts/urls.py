from django.urls import path

from carts import views

app_name = "carts"
urlpatterns = [
    path("cart/", views.detail, name="detail"),
    path("cart/add/", views.add, name="add"),
    path("cart/change/", views.change, name="change"),
    path("cart/remove/", views.remove, name="remove"),
    path("cart/undo/", views.undo, name="undo"),
    path("cart/coupon/", views.apply_coupon, name="apply_coupon"),
    path("cart/coupon/remove/", views.remove_coupon, name="remove_coupon"),
    path("cart/shipping/", views.estimate_shipping, name="estimate_shipping"),
]
