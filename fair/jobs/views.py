"""(being written)"""
from flask import Blueprint

from fair.jobs import models  # noqa: F401  the tables, for Alembic even before a route uses them

bp = Blueprint("jobs", __name__, url_prefix="/fairs/<slug>/jobs")
