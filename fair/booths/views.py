"""Booth pages, one blueprint in four modules by who uses them: the organizer's floor plan editor
(plan_views), allocation and manual changes (placement_views), signage (signage_views), and the
exhibitor's and visitor's plan (public_views). Each module adds its routes to `bp`."""
from flask import Blueprint
from flask_babel import lazy_gettext as _l

from fair.booths import models  # noqa: F401  the tables, for Alembic even before a route uses them
from fair.navigation import add_nav_group

bp = Blueprint("booths", __name__, url_prefix="/fairs/<slug>")
add_nav_group("booths", _l("展位管理"))

from fair.booths import placement_views, plan_views, public_views, signage_views  # noqa: E402,F401  routes on bp
