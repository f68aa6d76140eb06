from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse

from coopatlas.stateatlas.models import ReviewItem
from coopatlas.stateatlas.services import atlas_import

PAGES = Path(__file__).resolve().parent / "fixtures" / "pages"
pytestmark = pytest.mark.django_db


def _user(role):
    from coopatlas.accounts import services

    extra = {"authorities": ["35238"]} if role == "editor" else {}
    return services.user_add(email=f"{role}-view@example.org", role=role, password="x-Very-long-1", **extra)[
        0
    ]


def test_review_page_admin_only_and_settles(client):
    atlas_import(paths=[PAGES])
    url = reverse("stateatlas:review")
    client.force_login(_user("editor"))
    assert client.get(url).status_code == 403
    client.force_login(_user("admin"))
    page = client.get(url)
    assert page.status_code == 200
    assert "Ville de Montreuil" in page.content.decode() and "montreuil-93048" in page.content.decode()
    item = ReviewItem.objects.get(kind="french", label="Ville de Montreuil")
    data = client.get(url, {"format": "json"}).json()
    assert item.pk in [i["id"] for i in data["open"]]
    bad = client.post(url, {"item": item.pk, "choice": "", "code": "zz-nowhere"}, follow=True)
    assert bad.status_code == 200 and "ne désigne aucune collectivité" in bad.content.decode()
    client.post(url, {"item": item.pk, "choice": "montreuil-93048"})
    item.refresh_from_db()
    assert item.status == "settled" and item.choice == "montreuil-93048"
