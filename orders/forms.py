import re
from decimal import Decimal

from django import forms

from shipping.forms import CountryChoiceField

# A shipping choice as the page offers it: the method's id and the price shown, "3@4.90".
SHIPPING_CHOICE = re.compile(r"(\d{1,9})@(\d{1,10}\.\d{2})")


class CheckoutForm(forms.Form):
    """Who and where to ship to, plus the command id that makes a double submit harmless."""

    email = forms.EmailField(
        label="Email",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={"required": "Enter your email.", "invalid": "Enter a valid email."},
    )
    full_name = forms.CharField(
        label="Full name",
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        error_messages={"required": "Enter your full name."},
    )
    address = forms.CharField(
        label="Address",
        max_length=300,
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
        error_messages={"required": "Enter your address."},
    )
    city = forms.CharField(
        label="City",
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
        error_messages={"required": "Enter your city."},
    )
    postal_code = forms.CharField(
        label="Postal code",
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "postal-code"}),
        error_messages={"required": "Enter your postal code."},
    )
    country = CountryChoiceField(
        label="Country", error_messages={"required": "Choose your country."}
    )
    shipping_method = forms.CharField(
        label="Shipping method",
        required=False,
        max_length=40,
        widget=forms.HiddenInput,  # drawn as a radio group by the template
    )
    command_id = forms.UUIDField(widget=forms.HiddenInput)
    expected_total = forms.DecimalField(
        widget=forms.HiddenInput, required=False, max_digits=12, decimal_places=2
    )

    HIDDEN = ("command_id", "expected_total")
    ADDRESS = ("email", "full_name", "address", "city", "postal_code", "country")

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    @property
    def is_stale(self) -> bool:
        """The hidden fields were missing or forged: the form did not come from our page."""
        return any(name in self.errors for name in self.HIDDEN)

    def clean_shipping_method(self) -> tuple[int, Decimal] | None:
        """The method id and the price the page showed for it; None when none was chosen."""
        value = self.cleaned_data["shipping_method"]
        if not value:
            return None
        match = SHIPPING_CHOICE.fullmatch(value)
        if match is None:
            raise forms.ValidationError("Choose one of the shipping methods offered.")
        return int(match[1]), Decimal(match[2])

    def address_fields(self):
        return [self[name] for name in self.ADDRESS]
