"""Security headers, and the templates kept compatible with the Content-Security-Policy."""

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted(ROOT.glob("*/templates/**/*.html"))
SCRIPT_TAG = re.compile(r"<script\b[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"""\son[a-z]+\s*=\s*["']""", re.IGNORECASE)


def test_pages_carry_a_nonce_based_policy_and_the_other_headers(client):
    first, second = client.get("/"), client.get("/")
    policy = first["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    assert nonce not in second["Content-Security-Policy"]  # a new nonce per response
    assert "script-src 'self' 'nonce-" in policy and "'unsafe-inline'" not in policy.split("style-src")[0]
    assert "object-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert first["X-Frame-Options"] == "DENY"
    assert first["X-Content-Type-Options"] == "nosniff"
    assert first["Referrer-Policy"] == "same-origin"
    assert "camera=()" in first["Permissions-Policy"]


def test_inline_scripts_of_a_page_carry_its_nonce(client):
    from fenxiao.catalog.tests.factories import SkuFactory

    sku = SkuFactory()
    response = client.get(f"/shop/p/{sku.product_id}/")
    assert response.status_code == 200
    assert "<script nonce=" in response.content.decode()
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
    for tag in SCRIPT_TAG.findall(response.content.decode()):
        assert "src=" in tag or "application/json" in tag or f'nonce="{nonce}"' in tag, tag


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_templates_have_no_script_the_policy_would_block(template):
    text = template.read_text()
    for tag in SCRIPT_TAG.findall(text):
        assert "src=" in tag or "csp_nonce" in tag or "application/json" in tag, (
            f'{template}: inline <script> without nonce="{{{{ request.csp_nonce }}}}": {tag}'
        )
    assert not INLINE_HANDLER.search(text), (
        f"{template}: inline event handler (use a data attribute + app.js)"
    )
    assert "javascript:" not in text, f"{template}: javascript: URL"


def test_production_settings_turn_on_hsts_and_secure_cookies(tmp_path):
    import os
    import subprocess
    import sys

    code = (
        "from django.conf import settings; import django; django.setup(); "
        "print(settings.SECURE_HSTS_SECONDS, settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE, "
        "settings.PASSWORD_HASHERS[0].rsplit('.', 1)[-1])"
    )
    env = {**os.environ, "DEBUG": "0", "SECRET_KEY": "x" * 50, "DJANGO_SETTINGS_MODULE": "fenxiao.settings"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT.parent, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["31536000", "True", "True", "Argon2PasswordHasher"]


def test_uploaded_files_are_served_sandboxed(client, settings):
    from django.urls import resolve

    # The media route keeps the folder it was built with (the first test's MEDIA_ROOT).
    target = Path(resolve(f"{settings.MEDIA_URL}evil.html").kwargs["document_root"]) / "evil.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("<script>alert(1)</script>")
    response = client.get(f"{settings.MEDIA_URL}evil.html")
    assert response.status_code == 200
    assert "sandbox" in response["Content-Security-Policy"]
    assert "script-src" not in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
