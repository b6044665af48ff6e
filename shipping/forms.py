from django import forms
from django_countries import countries

from shipping.services import country_code

INVALID_COUNTRY = "Choose a country from the list."


class CountryChoiceField(forms.ChoiceField):
    """A country, chosen from a list; its code (DE) or English name (Germany) is accepted."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("choices", [("", "Choose a country"), *countries])
        kwargs.setdefault("widget", forms.Select(attrs={"autocomplete": "country"}))
        messages = {"invalid_choice": INVALID_COUNTRY, **kwargs.pop("error_messages", {})}
        super().__init__(error_messages=messages, **kwargs)

    def to_python(self, value) -> str:
        text = super().to_python(value)
        return country_code(text) or text if len(text) <= 100 else text[:100]
