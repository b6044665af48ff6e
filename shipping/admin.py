"""Staff configure shipping methods (with their weight bands) and VAT rates here.

Plain configuration rows, not events: an order copies what it charged into its
``OrderPlaced``, so a change here never changes an order placed before.
"""

from django.contrib import admin

from shipping.models import ShippingMethod, VatRate, WeightBand


class WeightBandInline(admin.TabularInline):
    model = WeightBand
    extra = 1


@admin.register(ShippingMethod)
class ShippingMethodAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "kind",
        "price",
        "free_from",
        "where",
        "delivery_estimate",
        "position",
        "active",
    ]
    list_filter = ["active", "kind"]
    list_editable = ["position", "active"]
    search_fields = ["name"]
    inlines = [WeightBandInline]
    fields = [
        "name",
        "kind",
        "price",
        "free_from",
        "countries",
        "everywhere_else",
        "delivery_estimate",
        "position",
        "active",
    ]

    @admin.display(description="ships to")
    def where(self, obj: ShippingMethod) -> str:
        listed = f"{len(obj.countries)} countries" if obj.countries else ""
        if obj.everywhere_else:
            return f"{listed} + everywhere else" if listed else "everywhere else"
        return listed or "nowhere"


@admin.register(VatRate)
class VatRateAdmin(admin.ModelAdmin):
    list_display = ["where", "tax_class", "rate"]
    list_filter = ["tax_class"]
    fields = ["country", "tax_class", "rate"]

    @admin.display(description="country", ordering="country")
    def where(self, obj: VatRate) -> str:
        return obj.country.name if obj.country else "Every other country"
