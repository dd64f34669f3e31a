"""Sponsorship pages, one blueprint in modules by what they serve: profiles and bookmarks
(profile_views), the catalog (catalog_views, with the JSON API in api.py), recommendations
(recommend_views), meetings (meeting_views), agreements and signing (agreement_views), and the ledger,
signing wall and caring units (ledger_views). Each adds its routes to `bp`."""
from flask import Blueprint
from flask_babel import lazy_gettext as _l

from fair.demo import LIVE_STEPS
from fair.navigation import add_nav_group
from sponsorship import demo, models, report, stats  # noqa: F401  the tables for Alembic; the console's figures and report

bp = Blueprint("sponsorship", __name__, url_prefix="/fairs/<slug>/sponsorship")
add_nav_group("sponsorship", _l("资源对接"))
if demo.build not in LIVE_STEPS:
    LIVE_STEPS.append(demo.build)        # `fair demo` brings sponsors to the demo fair too (after judging's awards)

from sponsorship import (agreement_views, catalog_views, ledger_views, meeting_views,  # noqa: E402,F401  routes on bp
                         profile_views, recommend_views)
