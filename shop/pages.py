"""The pages every shop needs (contact, shipping and returns, privacy, terms).

They are ``django.contrib.flatpages`` pages: staff edit them in the admin (Flat pages).
``manage.py seed_demo`` creates them with the demo text below when they are missing; it
never overwrites what staff wrote. The footer links to them by these URL names.
"""

from django.contrib.flatpages.models import FlatPage
from django.contrib.flatpages.views import flatpage
from django.contrib.sites.models import Site
from django.urls import path
from django.views.decorators.http import require_safe

# (url name, path, title, demo content as HTML)
PAGES = [
    (
        "contact",
        "/contact/",
        "Contact us",
        "<p>We are a small team of coffee and tea lovers, and we answer every message within "
        "one working day.</p>"
        '<ul><li>Email: <a href="mailto:hello@example.com">hello@example.com</a></li>'
        "<li>Phone: +351 210 000 000 (Monday to Friday, 9:00–17:00)</li>"
        "<li>Post: Bean &amp; Leaf, Rua do Exemplo 1, 1000-001 Lisboa, Portugal</li></ul>"
        "<p>Please have your order number at hand: it is on your confirmation page and in "
        "“Your orders”.</p>",
    ),
    (
        "shipping",
        "/shipping-and-returns/",
        "Shipping and returns",
        "<h2>Shipping</h2><p>Orders placed before 14:00 on a working day leave our roastery the "
        "same day. Within the EU, Standard shipping (2–4 working days) costs 4.90 EUR and is "
        "free from 50.00 EUR of goods; Express (1–2 working days) costs 9.90 EUR. We ship "
        "everywhere else by Standard for 14.90 EUR (5–10 working days). Prices include "
        "VAT.</p>"
        "<h2>Returns</h2><p>Changed your mind? Send unopened goods back within 30 days for a "
        "full refund. Opened coffee and tea cannot be returned for hygiene reasons, but if "
        "something arrives damaged or is not what you ordered, write to us and we will "
        "replace it at our cost.</p>",
    ),
    (
        "privacy",
        "/privacy/",
        "Privacy",
        "<p>We keep what we need to deliver your order and to run your account: your name, "
        "email and postal address, and what you ordered. We never sell it or share it, except "
        "with the carrier who delivers your parcel.</p>"
        "<p>The shop sets two cookies: one for your session (your cart) and one that protects "
        "forms against forgery. No tracking, no advertising cookies.</p>"
        "<p>Ask us at any time for a copy of your data, or to delete your account.</p>",
    ),
    (
        "terms",
        "/terms/",
        "Terms and conditions",
        "<p>These terms apply to every order placed at Bean &amp; Leaf. Prices include VAT. "
        "A contract is made when we confirm your order; we reserve stock at that moment.</p>"
        "<p>If an item turns out to be unavailable after all, we tell you and refund it in "
        "full. Your statutory rights as a consumer are not affected.</p>",
    ),
]


def seed_pages() -> int:
    """Create the missing pages on the current site; returns how many were created."""
    site = Site.objects.get_current()
    created = 0
    for _name, url, title, content in PAGES:
        page, new = FlatPage.objects.get_or_create(
            url=url, defaults={"title": title, "content": content}
        )
        page.sites.add(site)
        created += new
    return created


page = require_safe(flatpage)  # GET and HEAD; other methods answer 405 like every page
urlpatterns = [path(url.lstrip("/"), page, {"url": url}, name=name) for name, url, *_ in PAGES]
