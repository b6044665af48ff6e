from django.contrib import admin, messages

from orders import services
from orders.domain import OrderError
from orders.models import CheckoutCommand, OrderLine, OrderSummary, OrderVat
from shop.admin import ReadOnlyAdmin, sees_personal_data, stream_link
from shop.web import command_context


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    fields = ["name", "product", "quantity", "unit_price", "vat_rate", "currency"]
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
        "currency",
        "timeline",
    ]
    list_filter = ["status", "placed_at"]
    search_fields = ["=order_id", "email", "full_name"]
    date_hierarchy = "placed_at"
    inlines = [OrderLineInline, OrderVatInline]
    actions = ["mark_paid", "mark_shipped", "cancel"]

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

    @admin.action(description="Mark selected orders paid", permissions=["manage"])
    def mark_paid(self, request, queryset) -> None:
        self._issue(request, queryset, services.order_mark_paid, "marked paid")

    @admin.action(description="Mark selected orders shipped", permissions=["manage"])
    def mark_shipped(self, request, queryset) -> None:
        self._issue(request, queryset, services.order_mark_shipped, "marked shipped")

    @admin.action(
        description="Cancel selected orders (releases stock and coupons)", permissions=["manage"]
    )
    def cancel(self, request, queryset) -> None:
        self._issue(request, queryset, services.order_cancel, "cancelled")


@admin.register(CheckoutCommand)
class CheckoutCommandAdmin(ReadOnlyAdmin):
    list_display = ["command_id", "order_id", "cart_id", "created_at"]
    search_fields = ["=command_id", "=order_id", "=cart_id"]
