from django.urls import path

from privacy import views

app_name = "privacy"
urlpatterns = [
    path("accounts/data/", views.your_data, name="your_data"),
    path("accounts/data/download/", views.download, name="download"),
    path("accounts/data/delete/", views.delete_account, name="delete_account"),
]
