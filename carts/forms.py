from django import forms

from carts.domain import MAX_QUANTITY


class AddToCartForm(forms.Form):
    product = forms.UUIDField(
        error_messages={
            "required": "Choose a product to add.",
            "invalid": "That product is not in our catalog.",
        }
    )
    quantity = forms.IntegerField(
        min_value=1,
        max_value=MAX_QUANTITY,
        error_messages={
            "required": "Enter a quantity.",
            "invalid": f"Quantity must be a whole number from 1 to {MAX_QUANTITY}.",
            "min_value": f"Quantity must be a whole number from 1 to {MAX_QUANTITY}.",
            "max_value": f"Quantity must be a whole number from 1 to {MAX_QUANTITY}.",
        },
    )
    next = forms.CharField(required=False, max_length=2000)

    def chosen_options(self, groups: int) -> tuple[str, ...] | None:
        """The option values posted (``option-1``, ``option-2``, ... for ``groups`` groups);
        None when none was posted (the product's default variant)."""
        names = [f"option-{n}" for n in range(1, groups + 1)]
        if not any(name in self.data for name in names):
            return None
        return tuple(str(self.data.get(name, ""))[:OPTION_TYPED_MAX] for name in names)


OPTION_TYPED_MAX = 200  # what of a posted option value is read (they are at most 50 long)


def first_error(form: forms.Form) -> str:
    for errors in form.errors.values():
        return errors[0]
    return "That request was not valid."


QUANTITY_MESSAGE = f"Quantity must be a whole number from 0 to {MAX_QUANTITY}."
PRODUCT_ERRORS = {
    "required": "Choose a product in your cart.",
    "invalid": "That product is not in your cart.",
}


class ChangeQuantityForm(forms.Form):
    product = forms.UUIDField(error_messages=PRODUCT_ERRORS)
    variant = forms.UUIDField(required=False, error_messages=PRODUCT_ERRORS)
    quantity = forms.IntegerField(
        min_value=0,
        max_value=MAX_QUANTITY,
        error_messages={
            "required": "Enter a quantity.",
            "invalid": QUANTITY_MESSAGE,
            "min_value": QUANTITY_MESSAGE,
            "max_value": QUANTITY_MESSAGE,
        },
    )


class RemoveItemForm(forms.Form):
    product = forms.UUIDField(error_messages=PRODUCT_ERRORS)
    variant = forms.UUIDField(required=False, error_messages=PRODUCT_ERRORS)


class CouponForm(forms.Form):
    code = forms.CharField(
        max_length=40,
        error_messages={
            "required": "Enter a coupon code.",
            "max_length": "That coupon code is too long.",
        },
    )


class UndoForm(forms.Form):
    removal = forms.IntegerField(
        min_value=1,
        max_value=2**62,
        error_messages={
            "required": "There is nothing to undo.",
            "invalid": "There is nothing to undo.",
            "min_value": "There is nothing to undo.",
            "max_value": "There is nothing to undo.",
        },
    )
