from django.urls import path

from carts import views

app_name = "carts"
urlpatterns = [
    path("cart/", views.detail, name="detail"),
    path("cart/add/", views.add, name="add"),
]
