"""Placeholder: routes are being written."""
from judging.views import bp  # noqa: F401
