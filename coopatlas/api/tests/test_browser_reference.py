"""The API reference in a browser without JavaScript: everything is in the page, and each
operation's anchor from the table of contents lands on it."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_the_reference_reads_without_javascript(coopatlas_site, chromium, tmp_path):
    context = chromium.new_context(viewport={"width": 390, "height": 844}, java_script_enabled=False)
    page = context.new_page()
    response = page.goto(coopatlas_site.base + "/api/v1/docs")
    assert response.status == 200
    schema = page.request.get(coopatlas_site.base + "/api/v1/openapi.json").json()
    first = next(iter(schema["paths"].values()))
    op_id = next(iter(first.values()))["operationId"]
    page.locator(f'a[href="#op-{op_id}"]').first.click()
    assert page.url.endswith(f"#op-{op_id}")
    assert page.locator(f"#op-{op_id}").is_visible()
    assert page.locator("article.atlas-api-op").count() == sum(
        1 for item in schema["paths"].values() for m in item if m in ("get", "post", "put", "patch", "delete")
    )
    page.screenshot(path=str(tmp_path / "reference-phone.png"))
    context.close()
