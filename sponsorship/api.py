"""(being written)"""
from fair.extensions import api  # noqa: F401
from flask_smorest import Blueprint

blp = Blueprint("sponsorship_api", __name__, url_prefix="/api/v1/fairs/<slug>/catalog", description="Project catalog")
