"""Managing one's API tokens from the account page: create (shown once), list, revoke."""

import pytest
from django.urls import reverse

from coopatlas.accounts.models import ApiToken, User
from coopatlas.accounts.services import token_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(client):
    user = User.objects.create_user(email="officer@example.org", password="x" * 16)
    client.force_login(user)
    return user


def test_a_new_token_is_shown_once_and_works(client, officer):
    response = client.post(reverse("accounts:token_create"), {"name": "script SIG"})
    assert response.status_code == 200
    key = response.context["new_token"]
    assert key in response.content.decode()
    assert token_user(key=key) == officer
    assert ApiToken.objects.get(user=officer).name == "script SIG"
    page = client.get(reverse("accounts:account")).content.decode()
    assert key not in page  # never shown again
    assert ApiToken.objects.get(user=officer).prefix in page


def test_revoking_a_token_stops_it(client, officer):
    key = client.post(reverse("accounts:token_create"), {}).context["new_token"]
    prefix = ApiToken.objects.get(user=officer).prefix
    response = client.post(reverse("accounts:token_revoke"), {"prefix": prefix}, follow=True)
    assert "Jeton révoqué" in response.content.decode()
    assert token_user(key=key) is None


def test_one_cannot_revoke_another_users_token(client, officer):
    other = User.objects.create_user(email="other@example.org", password="y" * 16)
    ApiToken.objects.create(user=other, prefix="cat_abcdefgh", key_hash="0" * 64)
    response = client.post(reverse("accounts:token_revoke"), {"prefix": "cat_abcdefgh"}, follow=True)
    assert ApiToken.objects.get(user=other).revoked_at is None
    assert "aucun jeton actif" in response.content.decode()


def test_token_pages_need_a_signed_in_user_and_post(client):
    response = client.post(reverse("accounts:token_create"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:signin"))
    assert not ApiToken.objects.exists()


def test_a_token_is_never_created_by_a_get(client, officer):
    assert client.get(reverse("accounts:token_create")).status_code == 405
    assert not ApiToken.objects.exists()
