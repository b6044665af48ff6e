from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from subscriptions.forms import EmailConsentForm
from subscriptions.models import EmailConsent


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def email_settings(request):
    consent = EmailConsent.objects.filter(user=request.user).first() or EmailConsent(
        user=request.user
    )
    form = EmailConsentForm(request.POST if request.method == "POST" else None, instance=consent)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Your email settings are saved.")
        return redirect("subscriptions:email_settings")
    return render(request, "subscriptions/email_settings.html", {"form": form})
