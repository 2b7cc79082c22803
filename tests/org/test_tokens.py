"""A new password, reset by an administrator or chosen by the user, ends the old API tokens."""

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from fuwushe.org import services
from fuwushe.org.models import User
from tests.scoping.world import PASSWORD, World

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Qz7-新密码-2026"


def person(world: World, name: str) -> User:
    user = world.people[name]
    assert user is not None
    return user


def works(token: Token) -> bool:
    return Client(HTTP_AUTHORIZATION=f"Token {token.key}").get("/api/me/").status_code == 200


def test_a_password_reset_by_an_administrator_revokes_the_users_tokens(world: World):
    bob = person(world, "bob")
    token = Token.objects.create(user=bob)
    others = Token.objects.create(user=person(world, "alice"))

    services.staff_password_reset(actor=person(world, "dora"), user=bob)

    assert not Token.objects.filter(user=bob).exists()
    assert not works(token)
    assert works(others)


def test_a_password_the_user_changes_in_the_admin_revokes_their_tokens(world: World):
    bob = person(world, "bob")
    token = Token.objects.create(user=bob)
    client = Client()
    client.force_login(bob)

    response = client.post(
        "/admin/password_change/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert not works(token)
    new = Client().post("/api/auth/token/", {"username": "bob", "password": NEW_PASSWORD})
    assert new.status_code == 200
    assert new.json()["token"] != token.key


def test_a_password_set_in_code_revokes_the_tokens(world: World):
    # As manage.py changepassword and createsuperuser do it.
    bob = person(world, "bob")
    token = Token.objects.create(user=bob)
    bob.set_password(NEW_PASSWORD)
    bob.save()

    assert not works(token)


def test_saving_a_user_without_a_new_password_keeps_their_tokens(world: World):
    bob = person(world, "bob")
    token = Token.objects.create(user=bob)

    bob.last_name = "包"
    bob.save()
    Client().login(username="bob", password=PASSWORD)

    assert works(token)


def test_a_failed_password_change_keeps_the_tokens(world: World):
    bob = person(world, "bob")
    token = Token.objects.create(user=bob)
    client = Client()
    client.force_login(bob)

    response = client.post(
        "/admin/password_change/",
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 200
    assert works(token)


def test_the_password_form_says_that_tokens_end(world: World):
    client = Client()
    client.force_login(person(world, "bob"))

    page = client.get("/admin/password_change/").content.decode()

    assert "修改密码后，此前发放的接口令牌全部失效。" in page
