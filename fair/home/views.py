import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from fair import LANGUAGE_COOKIE
from fair.auth.models import Membership
from fair.extensions import db
from fair.fairs.models import Fair, Phase
from fair.forms import safe_next

bp = Blueprint("home", __name__)


@bp.get("/")
def index():
    if not current_user.is_authenticated:
        public = db.session.scalars(
            sa.select(Fair).where(Fair.phase.in_([Phase.applications_open, Phase.preparation, Phase.live]))
            .order_by(Fair.starts_on.desc())).all()
        return render_template("home/welcome.html", fairs=public)
    rows = db.session.execute(
        sa.select(Fair, Membership.role).join(Membership, Membership.fair_id == Fair.id)
        .where(Membership.user_id == current_user.id).order_by(Fair.starts_on.desc(), Membership.role)).all()
    fairs: dict[Fair, list] = {}
    for fair, role in rows:
        fairs.setdefault(fair, []).append(role)
    return render_template("home/index.html", fairs=fairs)


@bp.get("/lang/<code>")
def switch_language(code: str):
    """Remember the chosen language in a cookie and go back where the user was."""
    target = safe_next(request.args.get("next"), url_for("home.index"))
    response = make_response(redirect(target))
    if code in current_app.config["FAIR_LOCALES"]:
        response.set_cookie(LANGUAGE_COOKIE, code, max_age=365 * 24 * 3600, samesite="Lax",
                            secure=current_app.config["SESSION_COOKIE_SECURE"], httponly=True)
    return response


@bp.get("/healthz")
def healthz():
    """For load balancers and monitoring: 200 when the database answers, 503 when it does not."""
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")
