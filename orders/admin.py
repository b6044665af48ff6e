import uuid

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from orders import domain, services
from orders.domain import OrderError
from orders.models import CheckoutCommand, OrderLine, OrderSummary, OrderVat
from shop.admin import ReadOnlyAdmin, sees_personal_data, stream_link
from shop.unitofwork import load_state
from shop.web import command_context


def _line_quantities(order: OrderSummary, units: dict) -> tuple[domain.LineQuantity, ...]:
    """{variant id: units} as the order's lines (each with the product its stock is on)."""
    products = {line.variant_id: line.product_id for line in order.lines.all()}
    return tuple(
        domain.LineQuantity(product_id=products[v], variant_id=v, quantity=q)
        for v, q in units.items()
    )


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    fields = [
        "name",
        "product",
        "quantity",
        "unit_price",
        "vat_rate",
        "currency",
        "refunded_quantity",
        "returned_quantity",
    ]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class OrderVatInline(admin.TabularInline):
    """The VAT the order's total included, per rate, as charged (shipping's share in it)."""

    model = OrderVat
    fields = ["included", "gross", "currency"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = "VAT included, per rate"

    @admin.display(description="VAT")
    def included(self, obj: OrderVat) -> str:
        return str(obj.line)

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(OrderSummary)
class OrderSummaryAdmin(ReadOnlyAdmin):
    """The OrderSummary projection. Staff change an order only through its commands."""

    list_display = [
        "number",
        "placed_at",
        "status",
        "email",
        "full_name",
        "total",
        "refunded",
        "currency",
        "timeline",
    ]
    list_filter = ["status", "placed_at"]
    search_fields = ["=order_id", "email", "full_name"]
    date_hierarchy = "placed_at"
    inlines = [OrderLineInline, OrderVatInline]
    actions = ["mark_shipped", "cancel"]
    change_form_template = "admin/orders/ordersummary/change_form.html"

    @admin.display(description="stream")
    def timeline(self, obj: OrderSummary) -> str:
        return stream_link(obj.order_id, "Timeline")

    # Staff without shop.view_personal_data see orders without who placed them.
    PERSONAL = ("email", "full_name", "address", "city", "postal_code")

    def get_list_display(self, request):
        shown = super().get_list_display(request)
        return (
            shown if sees_personal_data(request) else [f for f in shown if f not in self.PERSONAL]
        )

    def get_search_fields(self, request):
        fields = super().get_search_fields(request)
        return (
            fields if sees_personal_data(request) else [f for f in fields if f not in self.PERSONAL]
        )

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        return (
            fields if sees_personal_data(request) else [f for f in fields if f not in self.PERSONAL]
        )

    def has_manage_permission(self, request) -> bool:
        """Whoever may change orders may issue the order commands."""
        return request.user.has_perm("orders.change_ordersummary")

    def _issue(self, request, queryset, command, done: str) -> None:
        context = command_context(request)
        succeeded = 0
        for order in queryset.order_by("placed_at"):
            try:
                command(order_id=order.order_id, context=context)
            except OrderError as error:
                self.message_user(request, f"Order {order.number}: {error}", messages.ERROR)
            else:
                succeeded += 1
        if succeeded:
            noun = "order" if succeeded == 1 else "orders"
            self.message_user(request, f"{succeeded} {noun} {done}.", messages.SUCCESS)

    @admin.action(description="Mark selected orders shipped", permissions=["manage"])
    def mark_shipped(self, request, queryset) -> None:
        self._issue(request, queryset, services.order_mark_shipped, "marked shipped")

    @admin.action(
        description="Cancel selected orders (releases stock and coupons, refunds payments)",
        permissions=["manage"],
    )
    def cancel(self, request, queryset) -> None:
        from payments.services import order_cancel_and_refund

        self._issue(request, queryset, order_cancel_and_refund, "cancelled")

    # --- Refunds and returns: pages of their own, linked from the order's page ----------

    def get_urls(self):
        return [
            path(
                "<uuid:order_id>/refund/",
                self.admin_site.admin_view(self.refund_view),
                name="orders_ordersummary_refund",
            ),
            path(
                "<uuid:order_id>/return/",
                self.admin_site.admin_view(self.return_view),
                name="orders_ordersummary_return",
            ),
            *super().get_urls(),
        ]

    def _command_page(self, request, order_id, title: str, template: str):
        if not self.has_manage_permission(request):
            raise PermissionDenied
        order = get_object_or_404(OrderSummary, order_id=order_id)
        state = load_state(services.ORDER, order.order_id).state
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": order,
            "title": f"{title}: order {order.number}",
        }
        return order, state, context

    def refund_view(self, request, order_id):
        """Refund the whole order, units of its lines, or an amount: ``RefundRequested``,
        then ``PaymentRefunded`` once the provider confirms. Never more than is left."""
        from payments import services as payments
        from payments.forms import RefundForm

        order, state, context = self._command_page(request, order_id, "Refund", "refund")
        done = {str(r) for r in state.settled_refunds} | {
            str(p.refund_id) for p in state.pending_refunds
        }
        if request.method == "POST" and request.POST.get("refund_id") in done:
            messages.info(request, f"Order {order.number}: this refund was made already.")
            return redirect(reverse("admin:orders_ordersummary_change", args=[order_id]))
        form = RefundForm(
            request.POST or None,
            initial={"refund_id": uuid.uuid4()},
            lines=order.lines.all(),
            left=state.refundable_units,
            left_to_refund=state.refundable,
        )
        status = 200
        if request.method == "POST":
            status = 422
            if form.is_valid():
                data, units = form.cleaned_data, form.units()
                if data["whole"]:
                    amount = state.refundable
                    units = {
                        line.variant_id: state.refundable_units(line.variant_id)
                        for line in order.lines.all()
                        if state.refundable_units(line.variant_id) > 0
                    }
                elif data["amount"] is not None:
                    amount = order.money(data["amount"])
                else:
                    amount = min(payments.line_refund_amount(order, units), state.refundable)
                lines = _line_quantities(order, units)
                try:
                    outcome = payments.payment_refund(
                        order_id=order.order_id,
                        refund_id=data["refund_id"],
                        amount=amount,
                        lines=lines,
                        reason=data["reason"],
                        context=command_context(request),
                    )
                except OrderError as error:
                    self._refusal(form, error)
                else:
                    if outcome.refunded:
                        messages.success(request, f"Order {order.number}: refunded {amount}.")
                    else:
                        messages.error(
                            request,
                            f"Order {order.number}: the provider refused the refund "
                            f"({outcome.decline or 'no reason given'}); nothing was refunded.",
                        )
                    return redirect(reverse("admin:orders_ordersummary_change", args=[order_id]))
        context.update(form=form, left=state.refundable, action="Refund")
        return TemplateResponse(
            request, "admin/orders/ordersummary/command.html", context, status=status
        )

    def return_view(self, request, order_id):
        """Returned goods received: ``ReturnReceived`` and ``StockReleased``, at once."""
        from payments.forms import ReturnForm

        order, state, context = self._command_page(request, order_id, "Receive a return", "return")
        if request.method == "POST" and request.POST.get("return_id") in {
            str(r) for r in state.returns
        }:
            messages.info(request, f"Order {order.number}: this return is recorded already.")
            return redirect(reverse("admin:orders_ordersummary_change", args=[order_id]))
        form = ReturnForm(
            request.POST or None,
            initial={"return_id": uuid.uuid4()},
            lines=order.lines.all(),
            left=state.returnable_units,
        )
        status = 200
        if request.method == "POST":
            status = 422
            if form.is_valid():
                units = form.units()
                lines = _line_quantities(order, units)
                try:
                    services.order_receive_return(
                        order_id=order.order_id,
                        return_id=form.cleaned_data["return_id"],
                        lines=lines,
                        context=command_context(request),
                    )
                except OrderError as error:
                    self._refusal(form, error)
                else:
                    count = sum(units.values())
                    messages.success(
                        request,
                        f"Order {order.number}: {count} unit{'s' if count != 1 else ''} "
                        "received back and returned to stock.",
                    )
                    return redirect(reverse("admin:orders_ordersummary_change", args=[order_id]))
        context.update(form=form, action="Record the return")
        return TemplateResponse(
            request, "admin/orders/ordersummary/command.html", context, status=status
        )

    @staticmethod
    def _refusal(form, error: OrderError) -> None:
        """The order's refusal beside the field it concerns (a race the form could not see)."""
        variant_id = getattr(error, "variant_id", None)
        if variant_id is not None and form.units_name(variant_id) in form.fields:
            form.add_error(form.units_name(variant_id), str(error))
        elif getattr(error, "field", None) in form.fields:
            form.add_error(error.field, str(error))
        else:
            form.add_error(None, str(error))


@admin.register(CheckoutCommand)
class CheckoutCommandAdmin(ReadOnlyAdmin):
    list_display = ["command_id", "order_id", "cart_id", "created_at"]
    search_fields = ["=command_id", "=order_id", "=cart_id"]
