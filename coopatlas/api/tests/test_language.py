"""API errors speak the caller's language: French by default, English on
`Accept-Language: en`, for read and write routes alike. Before ApiLanguageMiddleware every
answer was French: LocaleMiddleware gives paths outside `i18n_patterns` the default language."""

import pytest

from coopatlas.cooperation.tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def atlas():
    return f.small_atlas()


CASES = [
    # (method, path, params, status, French start, English start)
    (
        "get",
        "/api/v1/local-authorities/nulle-part-zz",
        {},
        404,
        "Aucune collectivité pour le code « nulle-part-zz »",
        "No local authority for code « nulle-part-zz »",
    ),
    (
        "get",
        "/api/v1/projects",
        {"page": "abc"},
        422,
        "« page » doit être un nombre entier",
        "« page » must be a whole number",
    ),
    (
        "get",
        "/api/v1/partnerships",
        {"format": "xml"},
        422,
        "« format » : valeur « xml » non reconnue",
        "« format »: value « xml » not recognised",
    ),
    (
        "post",
        "/api/v1/projects",
        {},
        401,
        "Jeton manquant, inconnu ou révoqué",
        "Missing, unknown or revoked token",
    ),
]


@pytest.mark.parametrize(
    "method, path, params, status, french, english",
    CASES,
    ids=[c[1].split("/")[3] + "-" + str(c[3]) for c in CASES],
)
def test_api_errors_follow_accept_language(client, atlas, method, path, params, status, french, english):
    call = getattr(client, method)
    kwargs = {"content_type": "application/json"} if method == "post" else {}
    default = call(path, params or ({} if method == "get" else "{}"), **kwargs)
    in_french = call(path, params or ({} if method == "get" else "{}"), HTTP_ACCEPT_LANGUAGE="fr", **kwargs)
    in_english = call(
        path, params or ({} if method == "get" else "{}"), HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9", **kwargs
    )
    assert default.status_code == in_french.status_code == in_english.status_code == status
    assert default.json()["detail"].startswith(french), default.json()
    assert in_french.json()["detail"] == default.json()["detail"]
    assert in_english.json()["detail"].startswith(english), in_english.json()
    assert in_english["Content-Language"] == "en"


def test_pages_keep_their_language_in_the_path(client, atlas):
    """The API's rule does not leak into the pages: / stays French, /en/ is English."""
    assert client.get("/", HTTP_ACCEPT_LANGUAGE="en")["Content-Language"] == "fr"
    assert client.get("/en/", HTTP_ACCEPT_LANGUAGE="fr")["Content-Language"] == "en"
