"""Pages a business reaches from a link in an email: answers and unsubscribing (no account needed)."""

from flask import Blueprint

bp = Blueprint("public", __name__)
