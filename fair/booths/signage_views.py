"""Booth signage for printing, organizers only: one booth's sign, or every booth's (optionally one hall's)
in booth-code order. The rows are read in one statement however many booths there are."""
import io

import sqlalchemy as sa
from flask import abort, current_app, request, send_file, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from fair.applications.models import Application
from fair.auth.models import Role
from fair.auth.permissions import fair_role_required
from fair.booths.models import Booth, Hall
from fair.booths.signage import Sign, render_signs
from fair.booths.views import bp
from fair.extensions import db
from fair.fairs.models import Fair


@bp.get("/booths/<code>/sign.pdf")
@fair_role_required(Role.organizer)
def booth_sign(fair: Fair, code: str):
    booths = signage_booths(fair, Booth.code == code)
    if not booths:
        abort(404)
    return _pdf(fair, booths, f"sign-{fair.slug}-{code}.pdf")


@bp.get("/signage.pdf")
@fair_role_required(Role.organizer)
def signage(fair: Fair):
    """Every booth's sign; `?hall=<id>` keeps one hall's."""
    if "hall" not in request.args:
        return _pdf(fair, signage_booths(fair), f"signage-{fair.slug}.pdf")
    hall_id = request.args.get("hall", type=int)
    hall = db.session.get(Hall, hall_id) if hall_id is not None else None
    if hall is None or hall.fair_id != fair.id:
        abort(404)
    return _pdf(fair, signage_booths(fair, Booth.hall_id == hall.id), f"signage-{fair.slug}-{hall.name}.pdf")


def signage_booths(fair: Fair, *conditions) -> list[Booth]:
    """The fair's booths in code order with their hall, zone, project, organisation and category."""
    return db.session.scalars(
        sa.select(Booth).where(Booth.fair_id == fair.id, *conditions).order_by(Booth.code)
        .options(joinedload(Booth.hall), joinedload(Booth.zone),
                 joinedload(Booth.application).joinedload(Application.organisation),
                 joinedload(Booth.application).joinedload(Application.category))).all()


def sign_of(fair: Fair, booth: Booth) -> Sign:
    """The sign's data; the QR code leads to the project's public page."""
    project = booth.application
    if project is None:
        return Sign(booth.code, booth.zone.name, booth.hall.name, fair.name, colour=booth.zone.colour)
    url = url_for("booths.project", slug=fair.slug, application_id=project.id, _external=True)
    return Sign(booth.code, booth.zone.name, booth.hall.name, fair.name, category=project.category.name,
                title=project.title, organisation=project.organisation.name, url=url, colour=booth.zone.colour)


def _pdf(fair: Fair, booths: list[Booth], filename: str):
    if not booths:                    # a PDF needs a page; say why there is nothing to print instead
        abort(404, description=_("还没有展位，无法生成展位标识。请先在展位图中添加展位。"))
    content = render_signs([sign_of(fair, booth) for booth in booths], title=_("%(fair)s 展位标识", fair=fair.name),
                           font_setting=current_app.config.get("FAIR_PDF_FONT"))
    return send_file(io.BytesIO(content), mimetype="application/pdf", as_attachment=True, download_name=filename,
                     max_age=0)
