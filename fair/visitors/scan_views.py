"""Placeholder: routes are being written."""
from fair.visitors.views import bp  # noqa: F401
