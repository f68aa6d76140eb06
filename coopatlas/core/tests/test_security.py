"""Security settings: the CSP on every page, `check --deploy` clean on production settings,
secure cookies and HSTS there, no inline script or style attribute in our templates."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from coopatlas.core.middleware import content_security_policy

ROOT = Path(__file__).resolve().parents[3]
PACKAGE = ROOT / "coopatlas"


def _directives(header: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", ["/", "/partenariats/", "/compte/connexion/", "/api/v1/docs", "/api/v1/partnerships"]
)
def test_csp_header_on_pages(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    csp = _directives(response["Content-Security-Policy"])
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval'
    assert csp["style-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"] and csp["frame-ancestors"] == ["'none'"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"


def test_csp_allows_the_configured_tile_server_for_images_only(settings):
    settings.COOPATLAS_TILE_URL = "https://{s}.tile.example.org/{z}/{x}/{y}.png"
    csp = _directives(content_security_policy())
    assert csp["img-src"] == ["'self'", "data:", "https://*.tile.example.org"]
    assert csp["script-src"] == ["'self'"] and csp["connect-src"] == ["'self'"]


def test_no_inline_script_or_style_attribute_in_our_templates():
    """What the CSP would block: inline <script> (except JSON data blocks), style="" and
    on*= handlers. The bare 500 page too (its style was inline, blocked by the CSP)."""
    offenders = []
    paths = list(PACKAGE.glob("*/templates/**/*.html"))
    assert any(p.name == "500.html" for p in paths)
    for path in paths:
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"<script\b([^>]*)>", text):
            attrs = match.group(1)
            if "src=" not in attrs and 'type="application/json"' not in attrs:
                offenders.append(f"{path.relative_to(ROOT)}: inline <script>")
        if re.search(r"\sstyle\s*=", text):
            offenders.append(f"{path.relative_to(ROOT)}: style attribute")
        if re.search(r"\son[a-z]+\s*=\s*[\"']", text):
            offenders.append(f"{path.relative_to(ROOT)}: on* handler")
    assert offenders == []


def test_check_deploy_is_clean_on_production_settings():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "coopatlas.config.settings.prod",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "atlas.example",
    }
    env.pop("DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues (0 silenced)" in result.stdout


def test_production_settings_refuse_a_missing_secret_key():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "coopatlas.config.settings.prod",
        "DJANGO_SECRET_KEY": "",
        "DJANGO_ALLOWED_HOSTS": "atlas.example",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0 and "DJANGO_SECRET_KEY" in result.stderr


def test_production_cookies_and_hsts():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "coopatlas.config.settings.prod",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "atlas.example",
    }
    code = (
        "import django;django.setup();from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY,"
        " s.SECURE_HSTS_SECONDS >= 31536000, s.SECURE_SSL_REDIRECT, s.DEBUG)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.stdout.split() == ["True", "True", "True", "True", "True", "False"], result.stderr
