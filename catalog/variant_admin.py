"""The admin page of a product's option groups and variants: every save is commands.

One form per option group (its name and comma-separated values; up to three groups) and
one per variant (SKU, price, stock, weight, one value per group), and a blank one to add a
variant. A save turns what changed into ``ChangeOptionGroup``, ``ChangeVariant``,
``ChangePrice``, ``AdjustStock`` (with the figure the form showed: a checkout meanwhile
makes it stale), ``AddVariant`` and ``AddOptionGroup``, asks the product what it would
refuse (each refusal beside its field, in its row; nothing stored), then sends them through
``catalog.services.product_edit`` in one unit of work.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from django import forms

from catalog import domain, services
from catalog.models import Product, ProductOptionGroup, ProductVariant

NUMBER = {
    "invalid": "Enter a whole number.",
}


def split_values(text: str) -> tuple[str, ...]:
    """ "250 g, 500 g, 1 kg" → ("250 g", "500 g", "1 kg")."""
    return tuple(value.strip() for value in text.split(",") if value.strip())


class OptionGroupForm(forms.Form):
    name = forms.CharField(label="Option", max_length=domain.OPTION_MAX, required=False)
    values = forms.CharField(
        label="Values",
        max_length=1000,
        required=False,
        help_text="Separated by commas: 250 g, 500 g, 1 kg.",
    )


class VariantForm(forms.Form):
    sku = forms.CharField(label="SKU", max_length=domain.SKU_MAX, required=False)
    price = forms.DecimalField(label="Price", max_digits=12, decimal_places=2, required=False)
    stock = forms.IntegerField(label="Stock", required=False, error_messages=NUMBER)
    weight_grams = forms.IntegerField(label="Weight (g)", required=False, error_messages=NUMBER)
    stock_shown = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, groups: list[ProductOptionGroup], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.groups = groups
        for n, group in enumerate(groups, start=1):
            self.fields[f"option-{n}"] = forms.ChoiceField(
                label=group.name,
                choices=[("", "—"), *((v, v) for v in group.values)],
                required=False,
                error_messages={"invalid_choice": f"Choose one of the {group.name} values."},
            )

    def options(self) -> tuple[str, ...]:
        return tuple(
            self.cleaned_data.get(f"option-{n}") or "" for n in range(1, len(self.groups) + 1)
        )

    @property
    def filled(self) -> bool:
        """Anything typed or chosen (a blank row adds nothing)."""
        return any(
            str(self.data.get(self.add_prefix(name), "")).strip()
            for name in self.fields
            if name != "stock_shown"
        )


@dataclass
class VariantsPage:
    """The page's forms, and the commands a valid save sends."""

    product: Product
    groups: list[OptionGroupForm]
    variants: list[tuple[ProductVariant | None, VariantForm]]
    commands: list[domain.Command] = field(default_factory=list)
    # Which form and field shows a refusal of each command.
    places: dict[int, tuple[forms.Form, dict[str, str]]] = field(default_factory=dict)

    @classmethod
    def build(cls, product: Product, data=None) -> VariantsPage:
        groups = list(ProductOptionGroup.objects.filter(product_id=product.pk))
        variants = list(ProductVariant.objects.filter(product_id=product.pk))
        group_forms = [
            OptionGroupForm(
                data,
                prefix=f"group-{n}",
                initial={"name": g.name, "values": ", ".join(g.values)} if g else None,
            )
            for n, g in enumerate([*groups, *[None] * (domain.OPTION_GROUPS_MAX - len(groups))])
        ]
        rows: list[tuple[ProductVariant | None, VariantForm]] = []
        for variant in variants:
            initial = {
                "sku": variant.sku,
                "price": variant.price,
                "stock": variant.stock,
                "stock_shown": variant.stock,
                "weight_grams": variant.weight_grams,
                **{f"option-{n}": v for n, v in enumerate(variant.options, start=1)},
            }
            rows.append(
                (
                    variant,
                    VariantForm(data, prefix=f"v-{variant.pk}", initial=initial, groups=groups),
                )
            )
        rows.append((None, VariantForm(data, prefix="new", groups=groups)))
        return cls(product, group_forms, rows)

    @property
    def existing_groups(self) -> int:
        return len(self.variants[0][1].groups)

    def forms(self) -> list[forms.Form]:
        return [*self.groups, *(form for _, form in self.variants)]

    def is_valid(self) -> bool:
        valid = all([form.is_valid() for form in self.forms()])
        if not valid:
            return False
        self._decide_commands()
        if not any(form.errors for form in self.forms()):
            self._check()
        return not any(form.errors for form in self.forms())

    def _place(self, command: domain.Command, form: forms.Form, **fields: str) -> None:
        self.commands.append(command)
        self.places[id(command)] = (form, fields)

    def _decide_commands(self) -> None:
        """Group changes first, then the variants (on today's groups), then new groups
        (which give every variant their first value)."""
        new_groups = []
        for n, form in enumerate(self.groups):
            name = form.cleaned_data["name"].strip()
            values = split_values(form.cleaned_data["values"])
            if n < self.existing_groups:
                if not name:
                    form.add_error("name", "An option group cannot be removed; rename it.")
                    continue
                group = ProductOptionGroup(name=name, values=list(values))
                self._place(
                    domain.ChangeOptionGroup(position=n, name=group.name, values=values),
                    form,
                    options="values",
                )
            elif name or values:
                new_groups.append((form, domain.AddOptionGroup(name=name, values=values)))
        for variant, form in self.variants:
            data = form.cleaned_data
            if variant is None:
                if form.filled:
                    self._new_variant(form)
                continue
            sku = (data["sku"] or "").strip()
            weight = data["weight_grams"]
            if weight is None:
                form.add_error("weight_grams", "Enter the weight in grams (0 if none).")
                continue
            change = domain.ChangeVariant(
                variant_id=variant.pk, sku=sku, weight_grams=weight, options=form.options()
            )
            self._place(change, form, sku="sku", weight_grams="weight_grams", options="option-1")
            if data["price"] is None:
                form.add_error("price", "A variant needs a price.")
            else:
                price = domain.ChangePrice(
                    variant_id=variant.pk, price=services.shop_money(data["price"])
                )
                self._place(price, form, price="price")
            shown = data.get("stock_shown")
            if data["stock"] is None:
                form.add_error("stock", "Enter the stock (0 if none).")
            elif shown is None or data["stock"] != shown:
                stock = domain.AdjustStock(
                    variant_id=variant.pk,
                    on_hand=data["stock"],
                    reason="staff adjustment",
                    expected=shown,
                )
                self._place(stock, form, stock="stock")
        for form, command in new_groups:
            self._place(command, form, options="values")

    def _new_variant(self, form: VariantForm) -> None:
        data = form.cleaned_data
        for name, message in (
            ("sku", "A variant needs a SKU."),
            ("price", "A variant needs a price."),
        ):
            if not data[name]:
                form.add_error(name, message)
        if form.errors:
            return
        add = domain.AddVariant(
            variant_id=uuid.uuid4(),
            sku=data["sku"].strip(),
            price=services.shop_money(data["price"]),
            weight_grams=data["weight_grams"] or 0,
            options=form.options(),
            on_hand=data["stock"] or 0,
        )
        self._place(
            add,
            form,
            sku="sku",
            price="price",
            stock="stock",
            weight_grams="weight_grams",
            options="option-1",
        )

    def _check(self) -> None:
        refused = services.product_refusals_by_command(
            product_id=self.product.pk, commands=self.commands
        )
        for command, refusal in refused:
            form, fields = self.places[id(command)]
            name = fields.get(refusal.field or "")
            if name not in form.fields:
                name = None
            form.add_error(name, str(refusal))
            if isinstance(refusal, domain.StaleStock):  # the next save starts from today's
                form.data = form.data.copy()
                form.data[form.add_prefix("stock_shown")] = str(refusal.on_hand)
