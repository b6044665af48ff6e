"""Sign up, log in, log out: Django auth, plus taking the guest's cart and orders along."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from accounts.forms import SignUpForm
from carts.session import claim_cart_on_login, current_cart_id
from orders.session import claim_orders_on_login, guest_shopper
from shop.web import local_path, redirect_to_next


def _guest_cart_id(request):
    """The cart to take along: only a guest's (switching accounts takes nothing along)."""
    return None if request.user.is_authenticated else current_cart_id(request)


class LocalNextMixin:
    """Django's auth views follow ``next`` to any URL on this host; here only a local path."""

    def get_redirect_url(self):
        return local_path(super().get_redirect_url()) or ""


class LoginView(LocalNextMixin, auth_views.LoginView):
    """Django's login (it rotates the session id); then the guest cart merges in."""

    template_name = "registration/login.html"

    http_method_names = ["get", "post", "head", "options"]  # no PUT: it would act as POST

    def form_valid(self, form):
        guest_cart_id = _guest_cart_id(self.request)
        placed_by = guest_shopper(self.request)
        response = super().form_valid(form)
        claim_cart_on_login(self.request, guest_cart_id)
        claim_orders_on_login(self.request, placed_by)
        return response


class LogoutView(LocalNextMixin, auth_views.LogoutView):
    pass


@require_http_methods(["GET", "HEAD", "POST"])
def signup(request):
    form = SignUpForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        guest_cart_id = _guest_cart_id(request)
        placed_by = guest_shopper(request)
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        claim_cart_on_login(request, guest_cart_id)
        claim_orders_on_login(request, placed_by)
        messages.success(request, f"Welcome, {user.get_username()}! Your account is ready.")
        return redirect_to_next(request.POST.get("next"), "catalog:home")
    status = 422 if request.method == "POST" else 200
    context = {"form": form, "next": request.GET.get("next", "")}
    return render(request, "registration/signup.html", context, status=status)
