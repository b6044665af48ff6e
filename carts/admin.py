from django.contrib import admin

from carts.models import CartLine, CartSummary, Coupon, CustomerCart
from shop.admin import ReadOnlyAdmin, stream_link


class CartLineInline(admin.TabularInline):
    model = CartLine
    fields = ["product", "quantity", "unit_price", "currency", "product_timeline"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    @admin.display(description="product stream")
    def product_timeline(self, obj: CartLine) -> str:
        return stream_link(obj.product_id, "Timeline")

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CartSummary)
class CartSummaryAdmin(ReadOnlyAdmin):
    """The CartSummary projection: what each cart holds now. Read-only."""

    list_display = [
        "cart_id",
        "status",
        "item_count",
        "coupon_code",
        "version",
        "updated_at",
        "timeline",
    ]
    list_filter = ["status"]
    search_fields = ["=cart_id"]
    inlines = [CartLineInline]
    fields = [
        "cart_id",
        "timeline",
        "status",
        "item_count",
        "coupon_code",
        "order_id",
        "version",
        "last_position",
        "created_at",
        "updated_at",
    ]
    readonly_fields = fields

    @admin.display(description="stream")
    def timeline(self, obj: CartSummary) -> str:
        return stream_link(obj.cart_id, "Timeline")


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
