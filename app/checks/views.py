"""Taking a check and showing its result."""

from flask import Blueprint

bp = Blueprint("checks", __name__)
