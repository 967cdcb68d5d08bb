"""Security headers: every answer (the access matrix checks every route x role with assert_secure_headers),
static files cacheable, HSTS in production, and pages that need no inline script or style."""

import re

from app import create_app
from tests.factories import make_case


def assert_secure_headers(response, where: str = "") -> None:
    headers = response.headers
    csp = headers.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "style-src 'self'" in csp, where
    assert "unsafe-inline" not in csp, where
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("X-Frame-Options") == "DENY", where
    assert headers.get("Referrer-Policy") == "same-origin", where
    assert headers.get("Cache-Control") == "no-store", where


def test_static_files_may_be_cached_but_are_not_sniffed(client):
    response = client.get("/static/procheck.css")
    assert response.status_code == 200 and response.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" not in response.headers.get("Cache-Control", "")


def test_hsts_only_in_production(client, monkeypatch):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://procheck.example.org")
    production = create_app("production")
    hsts = production.test_client().get("/login", base_url="https://procheck.example.org").headers
    assert hsts["Strict-Transport-Security"].startswith("max-age=31536000")


def test_pages_carry_no_inline_script_or_style(client, login, users):
    """What the CSP would block: <script> without src, <style> elements and style attributes."""
    case = make_case(users["scout"])
    login("lead")
    for url in ("/login", "/cases", f"/cases/{case.id}", "/help", "/pipeline", "/programme", "/today",
                f"/cases/{case.id}/measures", "/workshops", "/partners", "/rules", "/outbox"):
        page = client.get(url).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), url
        assert "<style" not in page and " style=" not in page, url
