from django.contrib import admin

from carts.models import CartLine, CartSummary


class CartLineInline(admin.TabularInline):
    model = CartLine
    fields = ["product", "quantity", "unit_price", "currency"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CartSummary)
class CartSummaryAdmin(admin.ModelAdmin):
    """The CartSummary projection: what each cart holds now. Read-only."""

    list_display = ["cart_id", "status", "item_count", "coupon_code", "version", "updated_at"]
    list_filter = ["status"]
    search_fields = ["=cart_id"]
    inlines = [CartLineInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
