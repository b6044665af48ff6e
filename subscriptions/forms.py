from django import forms

from subscriptions.models import EmailConsent


class EmailConsentForm(forms.ModelForm):
    class Meta:
        model = EmailConsent
        fields = ["cart_reminders"]
        labels = {"cart_reminders": "Email me a reminder when I leave items in my cart"}
        help_texts = {"cart_reminders": "At most one per cart, 10 hours after your last change."}
        widgets = {
            "cart_reminders": forms.CheckboxInput(
                attrs={"aria-describedby": "id_cart_reminders-help"}
            )
        }
