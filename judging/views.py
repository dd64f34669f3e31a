"""Judging pages, one blueprint in modules by who uses them: the organizer's rubric and judges
(judges_views), assignment and progress (assignment_views), the judge's tablet (tablet_views, with the
JSON API in api.py), and results, awards and certificates (results_views). Each adds its routes to `bp`."""
from flask import Blueprint
from flask_babel import lazy_gettext as _l

from fair.demo import LIVE_STEPS
from fair.navigation import add_nav_group
from judging import demo, models, report, stats  # noqa: F401  the tables for Alembic; the console's figures and report

bp = Blueprint("judging", __name__, url_prefix="/fairs/<slug>/judging")
add_nav_group("judging", _l("专家评审"))
if demo.build not in LIVE_STEPS:
    LIVE_STEPS.append(demo.build)        # `fair demo` judges the demo fair too

from judging import assignment_views, judges_views, results_views, tablet_views, voting_views  # noqa: E402,F401  routes on bp
