"""Staff's "Personal data" page beside the event log, /admin/shop/event/personal-data/.

Three forms, each for the staff holding its permission (others get 403):
export a person's data (``shop.view_personal_data``), erase it, and apply the retention
periods now (``shop.erase_personal_data``).
"""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.http import JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse

from privacy import services
from privacy.forms import StaffErasureForm, StaffExportForm
from shop.admin import PERSONAL_DATA_PERMISSION, StaffPage, register_staff_page
from shop.web import command_context

ERASE_PERMISSION = "shop.erase_personal_data"


def _export(request, form: StaffExportForm):
    data = services.export_by_staff(identifier=form.cleaned_data["identifier"])
    response = JsonResponse(data, encoder=DjangoJSONEncoder, json_dumps_params={"indent": 2})
    response["Content-Disposition"] = 'attachment; filename="personal-data-export.json"'
    response["Cache-Control"] = "no-store"
    return response


def _erase(request, form: StaffErasureForm):
    erased = services.erase_by_staff(
        identifier=form.cleaned_data["identifier"], context=command_context(request)
    )
    messages.success(
        request,
        f"Erased: {erased.customers} customer account(s) and the personal data of "
        f"{erased.orders} order(s). Their amounts stay.",
    )
    return redirect(request.path)


def personal_data_view(request, context: dict):
    may_export = request.user.has_perm(PERSONAL_DATA_PERMISSION)
    may_erase = request.user.has_perm(ERASE_PERMISSION)
    if not (may_export or may_erase):
        raise PermissionDenied
    action = request.POST.get("action") if request.method == "POST" else None
    data = request.POST if request.method == "POST" else None
    export_form = StaffExportForm(data if action == "export" else None, prefix="export")
    erase_form = StaffErasureForm(data if action == "erase" else None, prefix="erase")
    status = 200
    if action is not None:
        allowed = {"export": may_export, "erase": may_erase, "retention": may_erase}
        if action not in allowed:
            status = 422
            messages.error(request, "Choose one of the forms below.")
        elif not allowed[action]:
            raise PermissionDenied
        elif action == "retention":
            done = services.retention_apply(context=command_context(request))
            messages.success(
                request,
                f"Retention applied: {done.guest_orders} guest order(s) erased, "
                f"{done.sessions} expired session(s) and {done.login_records} throttling "
                "record(s) deleted.",
            )
            return redirect(request.path)
        else:
            form, act = (export_form, _export) if action == "export" else (erase_form, _erase)
            status = 422
            if form.is_valid():
                try:
                    return act(request, form)
                except services.PrivacyError as refusal:
                    form.add_error("identifier", str(refusal))
                    status = 404 if isinstance(refusal, services.NoSuchPerson) else 409

    context.update(
        export_form=export_form,
        erase_form=erase_form,
        may_export=may_export,
        may_erase=may_erase,
        retention_days=settings.SHOP_GUEST_ORDER_RETENTION.days,
    )
    return TemplateResponse(request, "admin/privacy/personal_data.html", context, status=status)


register_staff_page(
    StaffPage(
        name="personal-data",
        title="Personal data",
        summary="export or erase a customer's or a guest's data; apply the retention periods",
        view=personal_data_view,
    )
)
