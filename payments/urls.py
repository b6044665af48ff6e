from django.urls import path

from payments import views

app_name = "payments"
urlpatterns = [
    path("orders/<uuid:order_id>/pay/", views.pay, name="pay"),
]
