import uuid

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from catalog import services
from catalog.domain import ProductError
from catalog.images import check_upload
from catalog.models import Category, Product, ProductImage
from shop.admin import ReadOnlyAdmin, register_stream_names, stream_link
from shop.aggregates import CommandContext

# A timeline that mentions a product's stream (a cart's lines, an order's) names it.
register_stream_names(
    "product", lambda ids: dict(Product.objects.filter(id__in=ids).values_list("id", "name"))
)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


class ProductCommandForm(forms.Form):
    """Staff edits, sent to the product aggregate as commands; the aggregate has the last word."""

    price = forms.DecimalField(max_digits=12, decimal_places=2, help_text="The new unit price.")
    stock = forms.IntegerField(help_text="Units on hand (not reserved).")
    reason = forms.CharField(max_length=200, required=False, help_text="Why the stock changed.")


@admin.register(Product)
class ProductAdmin(ReadOnlyAdmin):
    """The Product projection, read-only: prices and stock change through catalog commands."""

    list_display = [
        "name",
        "category",
        "price",
        "currency",
        "stock",
        "is_listed",
        "version",
        "timeline",
        "picture_count",
    ]
    list_filter = ["is_listed", "category"]
    search_fields = ["name", "slug"]
    fields = [
        "id",
        "timeline",
        "pictures",
        "name",
        "slug",
        "category",
        "description",
        "price",
        "currency",
        "stock",
        "is_listed",
        "version",
        "last_position",
    ]
    readonly_fields = fields

    @admin.display(description="stream")
    def timeline(self, obj: Product) -> str:
        return stream_link(obj.id, "Timeline")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("images")

    @admin.display(description="pictures")
    def picture_count(self, obj: Product) -> int:
        return len(obj.images.all())

    @admin.display(description="pictures")
    def pictures(self, obj: Product) -> str:
        """The product's pictures (staff data, editable), and a link to add one."""
        shown = format_html_join(
            " ",
            '<a href="{}"><img src="{}" width="{}" height="{}" alt="Change picture {}"></a>',
            (
                (
                    reverse("admin:catalog_productimage_change", args=[image.pk]),
                    image.thumb.src,
                    image.thumb.width // 2,
                    image.thumb.height // 2,
                    image.position,
                )
                for image in obj.images.all()
            ),
        )
        add = reverse("admin:catalog_productimage_add") + f"?product={obj.pk}"
        return format_html('{} <a class="addlink" href="{}">Add a picture</a>', shown, add)

    def get_urls(self):
        return [
            path(
                "<uuid:product_id>/commands/",
                self.admin_site.admin_view(self.commands_view),
                name="catalog_product_commands",
            ),
            *super().get_urls(),
        ]

    @staticmethod
    def _send_commands(request, product: Product, data: dict) -> list[str]:
        """One transaction: either every change is stored, or none."""
        context = CommandContext(
            actor=f"staff:{request.user.pk}",
            correlation_id=getattr(request, "correlation_id", None) or uuid.uuid4(),
        )
        done = []
        with transaction.atomic():
            if data["price"] != product.price:
                price = services.shop_money(data["price"])
                services.product_change_price(product_id=product.id, price=price, context=context)
                done.append(f"price {price.amount} {price.currency}")
            if data["stock"] != product.stock:
                services.product_adjust_stock(
                    product_id=product.id,
                    on_hand=data["stock"],
                    reason=data["reason"] or "staff adjustment",
                    context=context,
                )
                done.append(f"stock {data['stock']}")
        return done

    def commands_view(self, request, product_id):
        """Change price and stock: each change is a command, and becomes an event."""
        if not request.user.has_perm("catalog.change_product"):
            raise PermissionDenied
        product = get_object_or_404(Product, id=product_id)
        initial = {"price": product.price, "stock": product.stock}
        form = ProductCommandForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                done = self._send_commands(request, product, form.cleaned_data)
            except ProductError as error:
                messages.error(request, f"{product.name}: {error}")
            else:
                if done:
                    messages.success(request, f"{product.name}: {', '.join(done)}.")
                else:
                    messages.info(request, "Nothing changed.")
                return redirect(reverse("admin:catalog_product_change", args=[product.id]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": product,
            "title": f"Change price or stock of {product.name}",
            "form": form,
        }
        return TemplateResponse(request, "admin/catalog/product/commands.html", context)


class ProductImageForm(forms.ModelForm):
    class Meta:
        model = ProductImage
        fields = ["product", "image", "alt", "position"]

    def clean_image(self):
        """A new upload must be a picture Pillow can read, within the size limit."""
        image = self.cleaned_data["image"]
        if "image" in self.changed_data and image:
            check_upload(image)
        return image


@admin.register(ProductImage)
class ProductImageAdmin(admin.ModelAdmin):
    """Pictures of products: staff data beside the event-sourced product."""

    form = ProductImageForm
    list_display = ["preview", "product", "position", "alt"]
    list_select_related = ["product"]
    search_fields = ["product__name", "alt"]
    autocomplete_fields = ["product"]
    ordering = ["product__name", "position"]

    @admin.display(description="picture")
    def preview(self, obj: ProductImage) -> str:
        thumb = obj.thumb
        return format_html(
            '<img src="{}" width="{}" height="{}" alt="">',
            thumb.src,
            thumb.width // 2,
            thumb.height // 2,
        )
