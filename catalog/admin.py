"""Catalog admin: categories are plain rows; products change only through commands.

The product form is the Product read model's, but saving it never writes that row: the form
turns what changed into commands (``ListProduct``, ``ChangeProductDetails``, ``ChangePrice``,
``AdjustStock``, ``DelistProduct``, ``RelistProduct``), asks the product aggregate first what
it would refuse (a form error beside the field, nothing stored), then sends them through
``catalog.services.product_edit`` in one unit of work; the projection writes the row.
"""

import uuid

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from catalog import domain, services
from catalog.domain import ProductError
from catalog.images import check_upload
from catalog.models import Category, Product, ProductImage, ProductVariant
from catalog.variant_admin import VariantsPage
from shop.admin import register_stream_names, stream_link
from shop.aggregates import CommandContext

# A timeline that mentions a product's stream (a cart's lines, an order's) names it.
register_stream_names(
    "product", lambda ids: dict(Product.objects.filter(id__in=ids).values_list("id", "name"))
)


def staff_context(request) -> CommandContext:
    """Who sends a staff command: the actor in each event's metadata, shown on timelines."""
    return CommandContext(
        actor=f"staff:{request.user.pk}",
        correlation_id=getattr(request, "correlation_id", None) or uuid.uuid4(),
        extra={"staff_username": request.user.get_username()},
    )


class ProductForm(forms.ModelForm):
    """Add or change a product; what changed becomes commands on the product's stream."""

    DETAILS = ("name", "description", "category")

    is_listed = forms.BooleanField(
        label="Listed",
        required=False,
        initial=True,
        help_text="For sale in the shop. Untick to delist the product; tick to relist it.",
    )
    sku = forms.CharField(
        label="SKU",
        max_length=domain.SKU_MAX,
        required=False,
        help_text="The default variant's stock-keeping unit; empty: the slug in capitals.",
    )
    weight_grams = forms.IntegerField(
        label="Weight (g)",
        required=False,
        initial=0,
        help_text="One unit's weight in grams, packed (shipping is priced by weight).",
    )
    # The stock figure the form showed: a checkout meanwhile makes a changed figure stale,
    # refused with a message rather than written over the reservation.
    stock_shown = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Product
        fields = ["name", "slug", "category", "description", "price", "stock", "is_listed"]
        help_texts = {
            "slug": "The product's address in the shop; it cannot change once the product "
            "is listed.",
            "price": "The default variant's unit price, in the shop's currency.",
            "stock": "The default variant's units on hand (not reserved).",
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if "category" in self.fields:
            self.fields["category"].required = True
        if not self.adding:  # price and stock are the default variant's
            default = ProductVariant.objects.filter(id=self.instance.pk).first()
            if default is not None:
                self.initial.update(price=default.price, stock=default.stock)
                self.initial["stock_shown"] = default.stock
        self._commands: list[domain.Command] | None = None

    @property
    def adding(self) -> bool:
        return self.instance._state.adding

    @property
    def product_id(self) -> uuid.UUID:
        if self.adding:
            return services.product_id_for(self.cleaned_data["slug"])
        return self.instance.pk

    def commands(self) -> list[domain.Command]:
        """The commands this save sends: all of a new product, what changed of another."""
        if self._commands is None:
            self._commands = self._decide_commands()
        return self._commands

    def _decide_commands(self) -> list[domain.Command]:
        data = self.cleaned_data
        category = data["category"].slug
        price = services.shop_money(data["price"])
        if self.adding:
            commands: list[domain.Command] = [
                domain.ListProduct(
                    name=data["name"],
                    slug=data["slug"],
                    category=category,
                    description=data["description"],
                    price=price,
                    variant_id=self.product_id,
                    sku=data.get("sku") or "",
                    weight_grams=data.get("weight_grams") or 0,
                ),
                domain.AdjustStock(on_hand=data["stock"], reason="opening stock"),
            ]
            return commands + ([] if data["is_listed"] else [domain.DelistProduct()])
        changed = set(self.changed_data)
        commands = []
        if changed & set(self.DETAILS):
            commands.append(
                domain.ChangeProductDetails(
                    name=data["name"], description=data["description"], category=category
                )
            )
        if "price" in changed:
            commands.append(domain.ChangePrice(price=price))
        shown = data.get("stock_shown")
        if shown is not None and data["stock"] != shown:
            # Changed from what the form showed; refused if a checkout changed it meanwhile.
            commands.append(
                domain.AdjustStock(on_hand=data["stock"], reason="staff adjustment", expected=shown)
            )
        elif shown is None and "stock" in changed:  # a form that did not say what it showed
            commands.append(domain.AdjustStock(on_hand=data["stock"], reason="staff adjustment"))
        if "is_listed" in changed:
            commands.append(domain.RelistProduct() if data["is_listed"] else domain.DelistProduct())
        return commands

    def validate_constraints(self) -> None:
        """The product's rules are its aggregate's: ask it what it would refuse, store nothing.

        (Runs after the fields' own checks and the slug's uniqueness in the read model.)
        """
        if self.errors:
            return
        refusals = services.product_refusals(product_id=self.product_id, commands=self.commands())
        for refusal in refusals:
            field = refusal.field if refusal.field in self.fields else None
            self.add_error(field, str(refusal))
            if isinstance(refusal, domain.StaleStock):  # the next save starts from today's
                self.data = self.data.copy()
                self.data["stock_shown"] = str(refusal.on_hand)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


class ProductCommandForm(forms.Form):
    """Staff edits, sent to the product aggregate as commands; the aggregate has the last word."""

    price = forms.DecimalField(
        max_digits=12, decimal_places=2, help_text="The default variant's new unit price."
    )
    stock = forms.IntegerField(help_text="The default variant's units on hand (not reserved).")
    reason = forms.CharField(max_length=200, required=False, help_text="Why the stock changed.")
    stock_shown = forms.IntegerField(widget=forms.HiddenInput, required=False)


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    """Products: the read model's rows, shown; every save is commands on the product's stream.

    Nobody deletes a product (its history stays): staff delist it. The slug is the product's
    address and names its stream, so it is set once, when the product is added.
    """

    form = ProductForm
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
    actions = ["delist", "relist"]
    prepopulated_fields = {"slug": ["name"]}
    RECORD = ["id", "timeline", "pictures", "currency", "version", "last_position"]

    def get_fields(self, request, obj=None):
        fields = ["name", "slug", "category", "description", "price", "stock", "is_listed"]
        if obj is None:
            return [*fields[:6], "sku", "weight_grams", *fields[6:]]
        return [*self.RECORD[:3], "variants", *fields, "stock_shown", *self.RECORD[3:]]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else [*self.RECORD, "variants", "slug"]

    def get_prepopulated_fields(self, request, obj=None):
        return self.prepopulated_fields if obj is None else {}

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="stream")
    def timeline(self, obj: Product) -> str:
        return stream_link(obj.id, "Timeline")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("images")

    @admin.display(description="pictures")
    def picture_count(self, obj: Product) -> int:
        return len(obj.images.all())

    @admin.display(description="options and variants")
    def variants(self, obj: Product) -> str:
        """How many variants the product sells, and the page to change them."""
        count = ProductVariant.objects.filter(product_id=obj.pk).count()
        url = reverse("admin:catalog_product_variants", args=[obj.pk])
        return format_html(
            '{} variant{} <a class="changelink" href="{}">Change options and variants</a>',
            count,
            "" if count == 1 else "s",
            url,
        )

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

    def save_model(self, request, obj: Product, form: ProductForm, change: bool) -> None:
        """Send the form's commands (the read model's row is the projection's to write)."""
        outcome = services.product_edit(
            product_id=form.product_id, commands=form.commands(), context=staff_context(request)
        )
        if not outcome.recorded:
            messages.info(request, "Nothing changed, so nothing was recorded.")
        obj.pk = form.product_id
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change) -> None:
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ProductError as refusal:
            # Refused after the form's check (another change came first): nothing is stored.
            messages.error(request, f"Nothing was saved: {refusal}")
            return HttpResponseRedirect(request.get_full_path())

    def _set_listing(self, request, queryset, command: domain.Command, verb: str) -> None:
        context = staff_context(request)
        changed = 0
        with transaction.atomic():
            for product_id in queryset.values_list("id", flat=True):
                outcome = services.product_edit(
                    product_id=product_id, commands=[command], context=context
                )
                changed += bool(outcome.recorded)
        messages.success(request, f"{verb} {changed} product{'s' if changed != 1 else ''}.")

    @admin.action(description="Delist the selected products", permissions=["change"])
    def delist(self, request, queryset) -> None:
        self._set_listing(request, queryset, domain.DelistProduct(), "Delisted")

    @admin.action(description="Relist the selected products", permissions=["change"])
    def relist(self, request, queryset) -> None:
        self._set_listing(request, queryset, domain.RelistProduct(), "Relisted")

    def get_urls(self):
        return [
            path(
                "<uuid:product_id>/commands/",
                self.admin_site.admin_view(self.commands_view),
                name="catalog_product_commands",
            ),
            path(
                "<uuid:product_id>/variants/",
                self.admin_site.admin_view(self.variants_view),
                name="catalog_product_variants",
            ),
            *super().get_urls(),
        ]

    @staticmethod
    def _send_commands(request, product: Product, data: dict) -> list[str]:
        """One unit of work: either every change is stored, or none."""
        commands: list[domain.Command] = []
        done = []
        default = ProductVariant.objects.get(id=product.id)
        if data["price"] != default.price:
            price = services.shop_money(data["price"])
            commands.append(domain.ChangePrice(price=price))
            done.append(f"price {price.amount} {price.currency}")
        shown = data.get("stock_shown")
        if data["stock"] != (default.stock if shown is None else shown):
            reason = data["reason"] or "staff adjustment"
            commands.append(
                domain.AdjustStock(on_hand=data["stock"], reason=reason, expected=shown)
            )
            done.append(f"stock {data['stock']}")
        services.product_edit(
            product_id=product.id, commands=commands, context=staff_context(request)
        )
        return done

    def variants_view(self, request, product_id):
        """Option groups and variants: each change a command, each refusal beside its field."""
        if not request.user.has_perm("catalog.change_product"):
            raise PermissionDenied
        product = get_object_or_404(Product, id=product_id)
        page = VariantsPage.build(product, request.POST if request.method == "POST" else None)
        status = 200
        if request.method == "POST":
            if page.is_valid():
                try:
                    outcome = services.product_edit(
                        product_id=product.id,
                        commands=page.commands,
                        context=staff_context(request),
                    )
                except ProductError as refusal:  # a race the check could not foresee
                    messages.error(request, f"Nothing was saved: {refusal}")
                    return HttpResponseRedirect(request.get_full_path())
                if outcome.recorded:
                    names = ", ".join(type(r.event).__name__ for r in outcome.recorded)
                    messages.success(request, f"{product.name}: saved ({names}).")
                else:
                    messages.info(request, "Nothing changed, so nothing was recorded.")
                return redirect(reverse("admin:catalog_product_variants", args=[product.id]))
            status = 422
            messages.error(request, "Nothing was saved: please correct the errors below.")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": product,
            "title": f"Options and variants of {product.name}",
            "page": page,
        }
        return TemplateResponse(
            request, "admin/catalog/product/variants.html", context, status=status
        )

    def commands_view(self, request, product_id):
        """Change price and stock: each change is a command, and becomes an event."""
        if not request.user.has_perm("catalog.change_product"):
            raise PermissionDenied
        product = get_object_or_404(Product, id=product_id)
        default = get_object_or_404(ProductVariant, id=product_id)
        initial = {"price": default.price, "stock": default.stock, "stock_shown": default.stock}
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
