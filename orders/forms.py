from django import forms


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
    country = forms.CharField(
        label="Country",
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "country-name"}),
        error_messages={"required": "Enter your country."},
    )
    command_id = forms.UUIDField(widget=forms.HiddenInput)
    expected_total = forms.DecimalField(
        widget=forms.HiddenInput, required=False, max_digits=12, decimal_places=2
    )

    HIDDEN = ("command_id", "expected_total")

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    @property
    def is_stale(self) -> bool:
        """The hidden fields were missing or forged: the form did not come from our page."""
        return any(name in self.errors for name in self.HIDDEN)
