from django import forms


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        label="Your password",
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="To be sure it is you.",
    )


class StaffExportForm(forms.Form):
    identifier = forms.CharField(
        label="User name or email to export",
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class StaffErasureForm(forms.Form):
    identifier = forms.CharField(
        label="Customer's user name or email, or a guest's email",
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    confirm = forms.BooleanField(
        label="I understand that this cannot be undone",
        required=True,
        error_messages={"required": "Tick this box to erase."},
    )
