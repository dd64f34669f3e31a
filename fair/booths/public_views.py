"""Placeholder: routes are being written."""
from fair.booths.views import bp  # noqa: F401
