from django.contrib import admin

from payments.models import GatewayOperation, Payment
from shop.admin import ReadOnlyAdmin, stream_link


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    """Each payment attempt (its id is the payment form's idempotency key). No card data."""

    list_display = ["payment_id", "created_at", "status", "reason", "amount", "currency", "order"]
    list_filter = ["status", "created_at"]
    search_fields = ["=payment_id", "=order_id"]

    @admin.display(description="order")
    def order(self, obj: Payment) -> str:
        return stream_link(obj.order_id, "Order timeline")


@admin.register(GatewayOperation)
class GatewayOperationAdmin(ReadOnlyAdmin):
    """The test gateway's ledger: what the provider did, by idempotency key."""

    list_display = ["created_at", "kind", "approved", "decline", "amount", "currency", "key"]
    list_filter = ["kind", "approved"]
    search_fields = ["=key", "=reference", "=parent"]
