"""Staff's "Erase personal data": a page beside the event log, /admin/shop/event/erase/.

Only staff holding ``shop.erase_personal_data`` may use it; others get 403.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse

from privacy import services
from privacy.forms import StaffErasureForm
from shop.admin import StaffPage, register_staff_page
from shop.web import command_context

PERMISSION = "shop.erase_personal_data"


def erase_view(request, context: dict):
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    form = StaffErasureForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                erased = services.erase_by_staff(
                    identifier=form.cleaned_data["identifier"],
                    context=command_context(request),
                )
            except services.PrivacyError as refusal:
                form.add_error("identifier", str(refusal))
                status = 404 if isinstance(refusal, services.NothingToErase) else 409
            else:
                messages.success(
                    request,
                    f"Erased: {erased.customers} customer account(s) and the personal data of "
                    f"{erased.orders} order(s). Their amounts stay.",
                )
                return redirect(request.path)
    context.update(form=form)
    return TemplateResponse(request, "admin/privacy/erase.html", context, status=status)


register_staff_page(
    StaffPage(
        name="erase",
        title="Erase personal data",
        summary="a customer's account, or a guest's orders, by user name or email",
        view=erase_view,
    )
)
