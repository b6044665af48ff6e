from django import forms
from django.contrib.auth.forms import UserCreationForm


class SignUpForm(UserCreationForm):
    """Django's sign-up form, with the customer's email address (stored on the user)."""

    email = forms.EmailField(
        label="Email",
        max_length=254,
        help_text="For your order confirmations.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    class Meta(UserCreationForm.Meta):
        fields = ("username", "email")
