from django.contrib import admin

from carts.models import CartLine, CartSummary, Coupon, CustomerCart


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


@admin.register(Coupon)
class CouponAdmin(admin.ModelAdmin):
    """Coupons staff manage. Redemptions are counted by the coupon stream, never typed in."""

    list_display = [
        "code",
        "kind",
        "value",
        "minimum_subtotal",
        "valid_from",
        "valid_until",
        "active",
        "redemptions",
        "max_redemptions",
    ]
    list_filter = ["active", "kind"]
    search_fields = ["code"]
    readonly_fields = ["redemptions"]


@admin.register(CustomerCart)
class CustomerCartAdmin(admin.ModelAdmin):
    """Which open cart each customer has. Kept by the shop; read-only here."""

    list_display = ["user", "cart_id", "updated_at"]
    search_fields = ["user__username", "=cart_id"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
