from django.urls import path

from accounts import views

app_name = "accounts"
urlpatterns = [
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", views.LogoutView.as_view(next_page="catalog:home"), name="logout"),
    path("accounts/signup/", views.signup, name="signup"),
]
