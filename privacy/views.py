"""The customer's own data: "Download my data" and "Delete my account"."""

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from privacy import services
from privacy.domain import Reason
from privacy.forms import DeleteAccountForm
from shop.web import command_context


def _page(request, form: DeleteAccountForm, *, status: int = 200):
    return render(request, "privacy/your_data.html", {"form": form}, status=status)


@require_http_methods(["GET", "HEAD"])
@login_required
def your_data(request):
    return _page(request, DeleteAccountForm())


@require_safe
@login_required
def download(request):
    data = services.customer_export(user=request.user)
    response = JsonResponse(data, encoder=DjangoJSONEncoder, json_dumps_params={"indent": 2})
    response["Content-Disposition"] = 'attachment; filename="bean-and-leaf-my-data.json"'
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@login_required
def delete_account(request):
    form = DeleteAccountForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=422)
    try:
        services.customer_erase(
            user=request.user,
            password=form.cleaned_data["password"],
            context=command_context(request),
            reason=Reason.CUSTOMER,
        )
    except services.WrongPassword as refusal:
        form.add_error("password", str(refusal))
        return _page(request, form, status=422)
    logout(request)
    messages.success(
        request,
        "Your account is deleted and your personal data erased. "
        "Your orders' amounts stay in our accounts, without your name or address.",
    )
    return redirect("catalog:home")
