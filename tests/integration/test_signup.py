"""The sign-up form: an email address, and the password rules shown before any failure."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.factories import sign_up

pytestmark = pytest.mark.django_db


def described_ids_are_present(html: str) -> list[str]:
    """Every id an aria-describedby names, and whether the page has an element with it."""
    missing = []
    for value in re.findall(r'aria-describedby="([^"]+)"', html):
        for ref in value.split():
            if f'id="{ref}"' not in html:
                missing.append(ref)
    return missing


def test_the_form_asks_for_an_email_and_stores_it(client):
    html = client.get("/accounts/signup/").content.decode()
    assert '<label for="id_email">Email</label>' in html
    assert 'type="email"' in html and 'autocomplete="email"' in html
    response = sign_up(client, "grace", email="grace@example.com")
    assert response.status_code == 302
    assert get_user_model().objects.get(username="grace").email == "grace@example.com"


@pytest.mark.parametrize("email", ["", "not-an-address", "a@"])
def test_an_email_is_required_and_checked(client, email):
    response = sign_up(client, "grace", email=email)
    assert response.status_code == 422
    assert 'id="id_email_error"' in response.content.decode()
    assert not get_user_model().objects.exists()


def test_password_rules_show_before_the_first_failure(client):
    html = client.get("/accounts/signup/").content.decode()
    assert 'id="id_password1_helptext"' in html
    assert "at least 8 characters" in html
    assert "can’t be entirely numeric" in html
    assert described_ids_are_present(html) == []


@settings(max_examples=25, deadline=None)
@given(
    username=st.text(max_size=20),
    email=st.text(max_size=20),
    password=st.text(max_size=12),
)
def test_every_described_by_id_exists_after_any_refusal(username, email, password):
    response = Client().post(
        "/accounts/signup/",
        {"username": username, "email": email, "password1": password, "password2": password},
    )
    if response.status_code == 422:
        assert described_ids_are_present(response.content.decode()) == []
    else:
        assert response.status_code == 302
        get_user_model().objects.all().delete()
