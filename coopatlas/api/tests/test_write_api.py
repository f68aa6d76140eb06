"""The write API: tokens (401), the permission matrix (403), per-field 422 with nothing
written, 409 on a stale version with what changed, history, workflow, delete and restore."""

import pytest

from coopatlas.accounts import services as accounts
from coopatlas.accounts.tests.world import MATRIX, build_world
from coopatlas.cooperation.models import Partnership, Project
from coopatlas.core.models import Source
from coopatlas.core.testing import assert_nothing_written, table_counts

pytestmark = pytest.mark.django_db
API = "/api/v1"
PARTIES = {"p1": ["96001", "commune-cercle"], "p2": ["dept", "ville"]}


@pytest.fixture
def world():
    w = build_world()
    w["tokens"] = {role: accounts.token_create(user=user)[1] for role, user in w["users"].items()}
    return w


def call(client, method, path, token=None, json=None, **headers):
    if token:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return getattr(client, method)(f"{API}{path}", data=json, content_type="application/json", **headers)


def _code(world, key):
    return world[key].slug


def attempt(client, world, action, role, target):
    token = world["tokens"][role]
    record = world.get(target)
    if action == "edit_partnership":
        return call(
            client,
            "patch",
            f"/partnerships/{record.slug}",
            token,
            {"description": "Mise à jour.", "version": record.version},
        )
    if action == "edit_project":
        return call(
            client,
            "patch",
            f"/projects/{record.slug}",
            token,
            {"summary": "Complété.", "version": record.version},
        )
    if action == "delete_project":
        return call(client, "delete", f"/projects/{record.slug}?version={record.version}", token)
    if action == "create_partnership":
        keys = {"p1": ("commune", "cercle"), "p2": ("dept", "ville")}[target]
        return call(
            client,
            "post",
            "/partnerships",
            token,
            {
                "slug": f"nouveau-{target}",
                "title": "Nouveau",
                "kind": "cooperation",
                "parties": [_code(world, k) for k in keys],
            },
        )
    if action == "create_request":
        return call(
            client,
            "post",
            "/partner-requests",
            token,
            {"authority": _code(world, target), "description": "Cherche."},
        )
    if action in ("publish_project", "submit_project"):
        state, verb = ("submitted", "publish") if action == "publish_project" else ("draft", "submit")
        Project.objects.filter(pk=record.pk).update(publication_status=state)
        return call(client, "post", f"/projects/{record.slug}/status", token, {"action": verb})
    if action == "history_project":
        return call(client, "get", f"/projects/{record.slug}/history", token)
    if action == "restore_project":
        admin = world["tokens"]["admin"]
        r = call(
            client, "patch", f"/projects/{record.slug}", admin, {"summary": "v2", "version": record.version}
        )
        assert r.status_code == 200, r.content
        return call(
            client, "post", f"/projects/{record.slug}/restore", token, {"to_version": r.json()["version"]}
        )
    raise AssertionError(action)  # pragma: no cover


@pytest.mark.parametrize(
    ("action", "role", "target", "allowed"), MATRIX, ids=[f"{a}-{r}-{t}" for a, r, t, _ in MATRIX]
)
def test_permission_matrix_through_the_api(client, world, action, role, target, allowed):
    counts = table_counts()
    response = attempt(client, world, action, role, target)
    if allowed:  # 202: an edit of a published record, waiting for validation
        assert response.status_code in (200, 201, 202), response.content
    elif action == "restore_project":  # the set-up's own admin edit is a write
        assert response.status_code == 403, response.content
    else:
        assert response.status_code == 403, response.content
        assert response.json()["detail"]
        assert_nothing_written(counts)


@pytest.mark.parametrize("header", [None, "Bearer cat_unknown", "Token abc", "Bearer "])
def test_no_or_bad_token_is_401_and_writes_nothing(client, world, header):
    p1 = world["p1"]
    counts = table_counts()
    headers = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.patch(
        f"{API}/partnerships/{p1.slug}",
        data={"title": "x", "version": 1},
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 401
    assert "Bearer" in response.json()["detail"]
    assert_nothing_written(counts)
    p1.refresh_from_db()
    assert p1.title == "Zorglub – Quimbé"


def test_revoked_token_is_refused(client, world):
    token = world["tokens"]["editor"]
    p1 = world["p1"]
    ok = call(client, "patch", f"/partnerships/{p1.slug}", token, {"description": "a", "version": p1.version})
    assert ok.status_code in (200, 202)
    accounts.token_revoke(user=world["users"]["editor"])
    again = call(
        client,
        "patch",
        f"/partnerships/{p1.slug}",
        token,
        {"description": "b", "version": ok.json()["version"]},
    )
    assert again.status_code == 401


def test_open_read_api_still_answers_without_token(client, world):
    assert client.get(f"{API}/partnerships").status_code == 200
    assert client.get(f"{API}/partnerships/zorglub-quimbe").status_code == 200
    assert call(client, "post", "/partnerships", None, {}).status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"start_year": "deux mille"}, "start_year"),
        ({"start_year": 2000, "end_year": 1990}, "end_year"),
        ({"parties": ["99999"]}, "parties"),
        ({"themes": ["pas-un-theme"]}, "themes"),
        ({"publication_status": "published"}, "publication_status"),
        ({"version": "v3"}, "version"),
        ({"source_url": "javascript:alert(1)"}, "source_url"),
    ],
)
def test_bad_input_is_422_per_field_and_writes_nothing(client, world, body, field):
    p1 = world["p1"]
    version, counts = p1.version, table_counts()
    response = call(
        client,
        "patch",
        f"/partnerships/{p1.slug}",
        world["tokens"]["editor"],
        {
            "version": version,
            "description": "jamais écrit",
            "source_url": "https://example.org/jamais-cite",
            **body,
        },
    )
    assert response.status_code == 422, response.content
    data = response.json()
    assert field in data["errors"], data
    assert data["detail"]
    assert_nothing_written(counts)
    p1.refresh_from_db()
    assert (p1.version, p1.description) == (version, "")


@pytest.mark.parametrize("method", ["post", "patch"])
def test_refused_write_with_a_source_cites_nothing(client, world, method):
    """Before the fix the source was cited while converting the payload, outside the
    transaction: a 403 or 422 left a Source row behind."""
    url = "https://example.org/refused-source"
    counts = table_counts()
    if method == "patch":  # p2 is out of the editor's scope: 403
        p2 = world["p2"]
        response = call(
            client,
            "patch",
            f"/partnerships/{p2.slug}",
            world["tokens"]["editor"],
            {"version": p2.version, "description": "x", "source_url": url},
        )
        assert response.status_code == 403, response.content
    else:  # a create that fails its own validation: 422
        response = call(
            client,
            "post",
            "/partnerships",
            world["tokens"]["editor"],
            {
                "slug": "refuse",
                "title": "Refusé",
                "kind": "cooperation",
                "parties": PARTIES["p1"],
                "start_year": 2000,
                "end_year": 1990,
                "source_url": url,
            },
        )
        assert response.status_code == 422, response.content
    assert not Source.objects.filter(url=url).exists()
    assert_nothing_written(counts)


def test_accepted_write_cites_its_source(client, world):
    p1, url = world["p1"], "https://example.org/accepted-source"
    Partnership.objects.filter(pk=p1.pk).update(publication_status="draft")  # applies at once
    response = call(
        client,
        "patch",
        f"/partnerships/{p1.slug}",
        world["tokens"]["editor"],
        {"version": p1.version, "description": "x", "source_url": url, "source_quote": "cité"},
    )
    assert response.status_code == 200, response.content
    p1.refresh_from_db()
    assert (p1.source.url, p1.source.quote) == (url, "cité")


def test_stale_version_answers_409_with_what_changed(client, world):
    p1 = world["p1"]
    read = p1.version
    first = call(
        client,
        "patch",
        f"/partnerships/{p1.slug}",
        world["tokens"]["admin"],
        {"description": "par l'administrateur", "version": read},
    )
    assert first.status_code == 200
    assert first["ETag"] == f'"partnership-{p1.pk}-v{read + 1}"'
    second = call(
        client,
        "patch",
        f"/partnerships/{p1.slug}",
        world["tokens"]["editor"],
        {"description": "par le rédacteur"},
        HTTP_IF_MATCH=f'"{read}"',
    )
    assert second.status_code == 409
    data = second.json()
    assert data["version"] == read + 1
    assert data["changes"]["description"] == {
        "was": "",
        "by": ["admin@example.org"],
        "now": "par l'administrateur",
    }
    p1.refresh_from_db()
    assert p1.description == "par l'administrateur"


def test_create_project_with_financing_plan_then_publish(client, world):
    editor, admin = world["tokens"]["editor"], world["tokens"]["admin"]
    created = call(
        client,
        "post",
        "/projects",
        editor,
        {
            "slug": "puits-neuf",
            "title": "Puits neuf <script>alert(1)</script>",
            "budget": "1000.00",
            "countries": ["QM"],
            "participants": [{"authority": "96001", "role": "lead"}, {"authority": world["cercle"].slug}],
        },
    )
    assert created.status_code == 201, created.content
    assert created.json()["publication_status"] == "draft"
    line = call(
        client,
        "post",
        "/projects/puits-neuf/funding",
        editor,
        {"amount": "400.00", "funder_authority": "96001"},
    )
    assert line.status_code == 201, line.content
    too_much = call(
        client,
        "post",
        "/projects/puits-neuf/funding",
        editor,
        {"amount": "700.00", "funder_authority": "96001"},
    )
    assert too_much.status_code == 422 and "amount" in too_much.json()["errors"]
    line_id, line_version = line.json()["id"], line.json()["version"]
    changed = call(
        client, "patch", f"/funding/{line_id}", editor, {"amount": "500.00", "version": line_version}
    )
    assert changed.status_code == 200 and changed.json()["fields"]["amount"] == "500.00"
    assert client.get(f"{API}/projects/puits-neuf").status_code == 404  # a draft is not public
    assert (
        call(client, "post", "/projects/puits-neuf/status", editor, {"action": "submit"}).status_code == 200
    )
    assert (
        call(client, "post", "/projects/puits-neuf/status", editor, {"action": "publish"}).status_code == 403
    )
    assert (
        call(client, "post", "/projects/puits-neuf/status", admin, {"action": "publish"}).status_code == 200
    )
    public = client.get(f"{API}/projects/puits-neuf").json()
    assert public["title"].endswith("<script>alert(1)</script>")  # data; pages escape it
    assert [f["amount"] for f in public["funding"]] == ["500.00"]  # the line followed


def test_history_delete_undelete_and_restore(client, world):
    p1, editor, admin = world["p1"], world["tokens"]["editor"], world["tokens"]["admin"]
    # a draft: an editor's change to a published record waits for validation
    Partnership.objects.filter(pk=p1.pk).update(publication_status="draft")
    v = p1.version
    r = call(client, "patch", f"/partnerships/{p1.slug}", editor, {"description": "un", "version": v})
    r = call(
        client,
        "patch",
        f"/partnerships/{p1.slug}",
        editor,
        {"description": "deux", "version": r.json()["version"]},
    )
    rows = call(client, "get", f"/partnerships/{p1.slug}/history", editor).json()
    assert [(x["user"], x["after"]) for x in rows] == [
        ("editor@example.org", {"description": "un"}),
        ("editor@example.org", {"description": "deux"}),
    ]
    assert (
        call(client, "get", f"/partnerships/{p1.slug}/history", world["tokens"]["facilitator"]).status_code
        == 403
    )
    gone = call(client, "delete", f"/partnerships/{p1.slug}", editor, HTTP_IF_MATCH=str(r.json()["version"]))
    assert gone.status_code == 200 and gone.json()["deleted_at"]
    assert (
        call(
            client,
            "patch",
            f"/partnerships/{p1.slug}",
            editor,
            {"description": "x", "version": gone.json()["version"]},
        ).status_code
        == 404
    )
    back = call(client, "post", f"/partnerships/{p1.slug}/undelete", editor)
    assert back.status_code == 200 and back.json()["deleted_at"] is None
    restored = call(client, "post", f"/partnerships/{p1.slug}/restore", admin, {"to_version": v + 1})
    assert restored.status_code == 200, restored.content
    assert restored.json()["fields"]["description"] == "un"


def test_return_needs_a_comment_and_carries_it(client, world):
    project, editor = world["project"], world["tokens"]["editor"]
    Project.objects.filter(pk=project.pk).update(publication_status="submitted")
    embassy = world["tokens"]["embassy"]
    bad = call(client, "post", f"/projects/{project.slug}/status", embassy, {"action": "return"})
    assert bad.status_code == 422 and "comment" in bad.json()["errors"]
    ok = call(
        client,
        "post",
        f"/projects/{project.slug}/status",
        embassy,
        {"action": "return", "comment": "Budget à vérifier."},
    )
    assert ok.json()["returned_comment"] == "Budget à vérifier."
    assert ok.json()["publication_status"] == "draft"
    assert call(client, "post", f"/projects/{project.slug}/confirm", editor).status_code == 200


def test_contacts_conventions_organisations(client, world):
    editor, facilitator = world["tokens"]["editor"], world["tokens"]["facilitator"]
    c = call(
        client,
        "post",
        "/contacts",
        editor,
        {"role": "Chargée de mission", "name": "Nom Fictif", "email": "n@example.org", "authority": "96001"},
    )
    assert c.status_code == 201, c.content
    erased = call(
        client, "post", f"/contacts/{c.json()['id']}/erase", editor, {"version": c.json()["version"]}
    )
    assert erased.json()["fields"]["email"] == "" and erased.json()["fields"]["role"]
    conv = call(
        client,
        "post",
        "/conventions",
        editor,
        {"partnership": "zorglub-quimbe", "title": "Avenant 2024", "estimated_commitment": "-5"},
    )
    assert conv.status_code == 422 and "estimated_commitment" in conv.json()["errors"]
    conv = call(
        client,
        "post",
        "/conventions",
        editor,
        {"partnership": "zorglub-quimbe", "title": "Avenant 2024", "estimated_commitment": "5000"},
    )
    assert conv.status_code == 201, conv.content
    org = world["org"]
    assert (
        call(
            client,
            "patch",
            f"/organisations/{org.slug}",
            facilitator,
            {"website": "https://example.org", "version": org.version},
        ).status_code
        == 200
    )
    assert (
        call(
            client,
            "patch",
            f"/organisations/{org.slug}",
            editor,
            {"website": "https://example.org", "version": org.version + 1},
        ).status_code
        == 403
    )
    new = call(
        client,
        "post",
        "/organisations",
        editor,
        {"slug": "asso-neuve", "name": "Association neuve", "kind": "association"},
    )
    assert new.status_code == 201 and new.json()["publication_status"] == "draft"


def test_get_then_patch_as_a_plain_http_client(client, world):
    """Before: no read gave `version` nor an ETag, so a client could not make a first PATCH."""
    p1, token = world["p1"], world["tokens"]["admin"]  # the ministry's edits apply at once
    read = client.get(f"{API}/partnerships/{p1.slug}")
    assert read.status_code == 200
    etag = read["ETag"]
    assert read.json()["version"] == p1.version and etag == f'"partnership-{p1.pk}-v{p1.version}"'
    listed = client.get(f"{API}/partnerships").json()["results"]
    assert {r["slug"]: r["version"] for r in listed}[p1.slug] == p1.version
    saved = call(
        client, "patch", f"/partnerships/{p1.slug}", token, {"description": "un"}, HTTP_IF_MATCH=etag
    )
    assert saved.status_code == 200, saved.content
    assert saved["ETag"] == f'"partnership-{p1.pk}-v{p1.version + 1}"'
    again = call(
        client, "patch", f"/partnerships/{p1.slug}", token, {"description": "deux"}, HTTP_IF_MATCH=etag
    )  # the ETag read before the first save: stale
    assert again.status_code == 409 and again.json()["version"] == p1.version + 1
    assert client.get(f"{API}/partnerships/{p1.slug}")["ETag"] == saved["ETag"]


@pytest.mark.parametrize("method", ["patch", "delete"])
def test_a_change_without_version_answers_428_and_says_how(client, world, method):
    p1 = world["p1"]
    counts = table_counts()
    response = call(
        client,
        method,
        f"/partnerships/{p1.slug}",
        world["tokens"]["editor"],
        {"description": "sans version"} if method == "patch" else None,
    )
    assert response.status_code == 428, response.content
    data = response.json()
    assert "If-Match" in data["detail"] and "version" in data["errors"]
    assert_nothing_written(counts)


def test_an_etag_of_another_record_is_refused(client, world):
    p1, project = world["p1"], world["project"]
    wrong = f'"project-{project.pk}-v{p1.version}"'
    response = call(
        client,
        "patch",
        f"/partnerships/{p1.slug}",
        world["tokens"]["editor"],
        {"description": "x"},
        HTTP_IF_MATCH=wrong,
    )
    assert response.status_code == 422 and "version" in response.json()["errors"]


def test_records_without_an_open_detail_are_read_with_their_version(client, world):
    from coopatlas.cooperation.models import Contact

    contact = Contact.objects.filter(authority=world["commune"]).first() or Contact.objects.first()
    assert contact is not None
    editor, admin = world["tokens"]["editor"], world["tokens"]["admin"]
    read = call(client, "get", f"/contacts/{contact.pk}", admin)
    assert read.status_code == 200 and read.json()["version"] == contact.version
    assert read["ETag"] == f'"contact-{contact.pk}-v{contact.version}"'
    assert call(client, "get", f"/contacts/{contact.pk}").status_code == 401
    line = world["project"].funding.first()
    got = call(client, "get", f"/funding/{line.pk}", editor)  # the editor's own project
    assert got.status_code == 200, got.content
    assert got["ETag"] == f'"fundingcontribution-{line.pk}-v{line.version}"'
    outsider = call(client, "get", f"/funding/{line.pk}", world["tokens"]["nobody"])
    assert outsider.status_code == 403
