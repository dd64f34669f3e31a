"""Shared form helpers."""
from urllib.parse import urlsplit

from flask import flash
from flask_wtf import FlaskForm

from fair.refusal import Refused


def show_refusal(form: FlaskForm, refusal: Refused) -> None:
    """Put a service's refusal next to its field, or above the form when it names none."""
    field = getattr(form, refusal.field, None) if refusal.field else None
    if field is not None:
        field.errors = [*field.errors, refusal.message]
    else:
        flash(refusal.message, "danger")


def safe_next(target: str | None, default: str) -> str:
    """Only a path on this site: an open redirect would let a phishing link borrow our log-in page."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target
