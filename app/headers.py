"""Security headers on every response (DESIGN.md §8: no asset from another host, personal data not cached).

The CSP allows scripts and styles only from this host's files: no inline script, no inline style, no
style attribute (the templates and generated SVGs use classes). Pages are never framed. Every page
but the static files is `no-store`: most show personal data or carry a signed token in the URL.
"""

from flask import Flask, Response, current_app, request

CSP = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "object-src 'none'",
))
HSTS = "max-age=31536000; includeSubDomains"


def _secure(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    if request.endpoint != "static":
        headers["Cache-Control"] = "no-store"
    if current_app.config.get("HSTS"):
        headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def init_app(app: Flask) -> None:
    app.after_request(_secure)
