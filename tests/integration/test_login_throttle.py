import pytest
from django.contrib.auth.models import User

pytestmark = pytest.mark.django_db


def test_five_failures_lock_the_login_even_with_the_right_password(client):
    User.objects.create_user("staffer", password="correct horse battery", is_staff=True)
    statuses = [
        client.post("/admin/login/", {"username": "staffer", "password": "wrong guess"}).status_code
        for _ in range(5)
    ]
    assert statuses == [200, 200, 200, 200, 429]  # the form again, then the lockout
    locked = client.post(
        "/admin/login/", {"username": "staffer", "password": "correct horse battery"}
    )
    assert locked.status_code == 429
    assert b"Too many failed log-in attempts" in locked.content
    assert "_auth_user_id" not in client.session


def test_a_few_mistakes_do_not_lock_out(client):
    User.objects.create_user("staffer", password="correct horse battery", is_staff=True)
    for _ in range(2):
        client.post("/admin/login/", {"username": "staffer", "password": "wrong"})
    response = client.post(
        "/admin/login/", {"username": "staffer", "password": "correct horse battery"}
    )
    assert response.status_code == 302
