"""Visitor pages, one blueprint in modules by who uses them: the visitor's registration and ticket
(ticket_views), the gate staff's scan page (scan_views), and the organizer's check-in points, devices,
imports and live counters (console_views). The JSON API for scanning devices is api.py."""
from flask import Blueprint
from flask_babel import lazy_gettext as _l

from fair.navigation import add_nav_group
from fair.visitors import models  # noqa: F401  the tables, for Alembic even before a route uses them

bp = Blueprint("visitors", __name__, url_prefix="/fairs/<slug>")
add_nav_group("visitors", _l("观众"))

from fair.visitors import console_views, scan_views, ticket_views, visit_views  # noqa: E402,F401  routes on bp
