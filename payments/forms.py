"""The card form: what a malformed card, expiry or security code gets told, beside its field.

Nothing here is stored: the number lives in the request that posts it and in the ``Card``
handed to the provider; only its last four digits reach the order's events.
"""

from __future__ import annotations

import re
from datetime import date

from django import forms

from payments.providers import Card

_DIGITS = re.compile(r"\d+")
_EXPIRY = re.compile(r"(\d{1,2})\s*/\s*(\d{2}|\d{4})")


class CardInput(forms.TextInput):
    """A text input that never writes back what was typed: a refused form does not echo the
    card number or security code into the page."""

    def format_value(self, value):
        return None


def luhn_ok(number: str) -> bool:
    total = 0
    for position, digit in enumerate(reversed(number)):
        value = int(digit)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


class CardForm(forms.Form):
    card_number = forms.CharField(
        label="Card number",
        max_length=40,
        strip=True,
        widget=CardInput(
            attrs={"autocomplete": "cc-number", "inputmode": "numeric", "spellcheck": "false"}
        ),
        error_messages={"required": "Enter your card number."},
    )
    expiry = forms.CharField(
        label="Expiry",
        max_length=10,
        help_text="MM/YY",
        widget=forms.TextInput(attrs={"autocomplete": "cc-exp", "inputmode": "numeric"}),
        error_messages={"required": "Enter the card's expiry date, as MM/YY."},
    )
    security_code = forms.CharField(
        label="Security code",
        max_length=10,
        help_text="The 3 or 4 digits on the back of your card",
        widget=CardInput(
            attrs={"autocomplete": "cc-csc", "inputmode": "numeric", "spellcheck": "false"}
        ),
        error_messages={"required": "Enter the card's security code."},
    )
    payment_id = forms.UUIDField(widget=forms.HiddenInput)

    HIDDEN = ("payment_id",)

    def __init__(self, *args, today: date | None = None, **kwargs) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.today = today or date.today()

    @property
    def is_stale(self) -> bool:
        return any(name in self.errors for name in self.HIDDEN)

    def clean_card_number(self) -> str:
        number = re.sub(r"[\s-]", "", self.cleaned_data["card_number"])
        if not _DIGITS.fullmatch(number):
            raise forms.ValidationError("A card number has digits only (spaces are fine).")
        if not 12 <= len(number) <= 19:
            raise forms.ValidationError("A card number has 12 to 19 digits.")
        if not luhn_ok(number):
            raise forms.ValidationError("This card number is not valid. Please check it.")
        return number

    def clean_expiry(self) -> tuple[int, int]:
        match = _EXPIRY.fullmatch(self.cleaned_data["expiry"].strip())
        if not match or not 1 <= int(match[1]) <= 12:
            raise forms.ValidationError("Enter the expiry as MM/YY, for example 08/29.")
        month, year = int(match[1]), int(match[2])
        year = year + 2000 if year < 100 else year
        if (year, month) < (self.today.year, self.today.month):
            raise forms.ValidationError("This card has expired.")
        if year > self.today.year + 20:
            raise forms.ValidationError("Enter the expiry as MM/YY, for example 08/29.")
        return month, year

    def clean_security_code(self) -> str:
        code = self.cleaned_data["security_code"].strip()
        if not re.fullmatch(r"\d{3,4}", code):
            raise forms.ValidationError("Enter the 3 or 4 digits of the security code.")
        return code

    def card(self) -> Card:
        month, year = self.cleaned_data["expiry"]
        return Card(
            number=self.cleaned_data["card_number"],
            exp_month=month,
            exp_year=year,
            security_code=self.cleaned_data["security_code"],
        )


# --- Staff: refunds and returns ------------------------------------------------------------


STALE_FORM = {
    "required": "This form is out of date. Please reload the page.",
    "invalid": "This form is out of date. Please reload the page.",
}


def _units_field(name: str, left: int, what: str) -> forms.IntegerField:
    return forms.IntegerField(
        label=f"{name}: units to {what}",
        required=False,
        min_value=0,
        max_value=left,
        initial=0,
        help_text=f"At most {left}.",
        error_messages={
            "invalid": "Enter a whole number of units.",
            "min_value": "Enter 0 or more units.",
            "max_value": f"At most {left} of this line can be {what}ed.",
        },
    )


class _LinesForm(forms.Form):
    """A form with one units field per order line (``units_<variant id>``)."""

    WHAT = ""

    def __init__(self, *args, lines, left, **kwargs) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.lines = list(lines)
        for line in self.lines:
            title = f"{line.name}, {line.variant_label}" if line.variant_label else line.name
            self.fields[self.units_name(line.variant_id)] = _units_field(
                title, left(line.variant_id), self.WHAT
            )

    @staticmethod
    def units_name(variant_id) -> str:
        return f"units_{variant_id.hex}"

    def units(self) -> dict:
        """{variant id: units} of the lines with units above zero."""
        chosen = {}
        for line in self.lines:
            count = self.cleaned_data.get(self.units_name(line.variant_id)) or 0
            if count:
                chosen[line.variant_id] = count
        return chosen


class RefundForm(_LinesForm):
    """Refund the whole order, some units of its lines, or an amount."""

    WHAT = "refund"

    whole = forms.BooleanField(label="Refund everything that is left", required=False)
    amount = forms.DecimalField(
        label="Amount",
        required=False,
        max_digits=12,
        decimal_places=2,
        help_text="Leave empty to refund the units chosen below at the prices paid.",
        error_messages={
            "invalid": "Enter an amount such as 12.50.",
            "max_digits": "Enter an amount such as 12.50.",
            "max_decimal_places": "Enter at most 2 decimal places.",
            "max_whole_digits": "Enter an amount such as 12.50.",
        },
    )
    reason = forms.CharField(label="Reason (the customer sees it)", required=False, max_length=200)
    refund_id = forms.UUIDField(widget=forms.HiddenInput, error_messages=STALE_FORM)

    def __init__(self, *args, left_to_refund, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.left_to_refund = left_to_refund
        self.fields["amount"].help_text += f" At most {left_to_refund}."
        # The whole/amount/reason fields first, then the lines.
        order = ["whole", "amount", *(self.units_name(li.variant_id) for li in self.lines)]
        self.order_fields([*order, "reason"])

    def clean(self):
        data = super().clean()
        amount, units = data.get("amount"), self.units()
        if data.get("whole"):
            if amount is not None or units:
                raise forms.ValidationError("Refund everything, or an amount or units: not both.")
        elif amount is None and not units and not self.errors:
            raise forms.ValidationError(
                "Tick “Refund everything that is left”, or enter an amount or units to refund."
            )
        if amount is not None:
            if amount <= 0:
                self.add_error("amount", "Enter an amount above zero.")
            elif amount > self.left_to_refund.amount:
                self.add_error("amount", f"At most {self.left_to_refund} is left to refund.")
        return data


class ReturnForm(_LinesForm):
    """Units received back from the customer: they go back in stock."""

    WHAT = "return"

    return_id = forms.UUIDField(widget=forms.HiddenInput, error_messages=STALE_FORM)

    def clean(self):
        data = super().clean()
        if not self.errors and not self.units():
            raise forms.ValidationError("Enter how many units of a line came back.")
        return data
