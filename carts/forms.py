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


def first_error(form: forms.Form) -> str:
    for errors in form.errors.values():
        return errors[0]
    return "That request was not valid."
