from django.urls import path

from subscriptions import views

app_name = "subscriptions"
urlpatterns = [
    path("accounts/emails/", views.email_settings, name="email_settings"),
]
