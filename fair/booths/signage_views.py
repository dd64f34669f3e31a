"""Booth signage for printing, organizers only: one booth's sign, or every booth's (optionally one hall's)
in booth-code order. The rows are read in one statement however many booths there are. A few signs come
at once; more are made by a background job (a page with progress, then the download)."""
import io

import sqlalchemy as sa
from flask import abort, current_app, request, send_file, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy.orm import joinedload

from fair.applications.models import Application
from fair.auth.models import Role
from fair.auth.permissions import fair_role_required
from fair.booths.models import Booth, Hall
from fair.booths.signage import Sign, draw_sign, render_signs
from fair.booths.views import bp
from fair.documents.pdf import cjk_font, new_canvas
from fair.extensions import db
from fair.fairs.models import Fair
from fair.jobs import runner, views as jobs

SIGNAGE_JOB = "booths.signage"


@bp.get("/booths/<code>/sign.pdf")
@fair_role_required(Role.organizer)
def booth_sign(fair: Fair, code: str):
    booths = signage_booths(fair, Booth.code == code)
    if not booths:
        abort(404)
    return _pdf(fair, booths, f"sign-{fair.slug}-{code}.pdf")


@bp.route("/signage.pdf", methods=["GET", "POST"])
@fair_role_required(Role.organizer)
def signage(fair: Fair):
    """Every booth's sign; `?hall=<id>` keeps one hall's. Up to `SMALL_BATCH` signs come at once; more are
    offered as a job (GET shows what will be made, POST starts it)."""
    hall = None
    if "hall" in request.args:
        hall_id = request.args.get("hall", type=int)
        hall = db.session.get(Hall, hall_id) if hall_id is not None else None
        if hall is None or hall.fair_id != fair.id:
            abort(404)
    conditions = [Booth.hall_id == hall.id] if hall else []
    count = db.session.scalar(sa.select(sa.func.count(Booth.id)).where(Booth.fair_id == fair.id, *conditions))
    if not count:
        _no_booths()
    if request.method == "GET" and count <= jobs.SMALL_BATCH:
        return _pdf(fair, signage_booths(fair, *conditions), _filename(fair, hall))
    if request.method == "POST":
        return jobs.start(fair, SIGNAGE_JOB, {"hall": hall.id} if hall else {})
    title = _("%(hall)s 展位标识", hall=hall.name) if hall else _("全部展位标识")
    return jobs.offer(fair, title=title, summary=_("共 %(count)d 个展位，每个展位一页（A4）。", count=count),
                      back_url=url_for("booths.plan", slug=fair.slug))


def _filename(fair: Fair, hall: Hall | None) -> str:
    return f"signage-{fair.slug}-{hall.name}.pdf" if hall else f"signage-{fair.slug}.pdf"


def _no_booths():
    """A PDF needs a page: say why there is nothing to print instead."""
    abort(404, description=_("还没有展位，无法生成展位标识。请先在展位图中添加展位。"))


def signage_job(context: runner.JobContext) -> runner.Result:
    """The signage as a job: a page per booth, progress reported as the pages are drawn."""
    fair = context.fair
    hall = db.session.get(Hall, context.params["hall"]) if context.params.get("hall") else None
    if context.params.get("hall") and (hall is None or hall.fair_id != fair.id):
        raise runner.JobError(_("该展馆已不存在。"))
    booths = signage_booths(fair, *([Booth.hall_id == hall.id] if hall else []))
    if not booths:
        raise runner.JobError(_("还没有展位，无法生成展位标识。请先在展位图中添加展位。"))
    signs = [sign_of(fair, booth) for booth in booths]
    font = cjk_font(current_app.config.get("FAIR_PDF_FONT"))
    buffer = io.BytesIO()
    canvas = new_canvas(buffer, title=_("%(fair)s 展位标识", fair=fair.name), font=font)
    for sign in context.each(signs, _("正在生成展位标识")):
        draw_sign(canvas, sign, font)
        canvas.showPage()
    canvas.save()
    return runner.Result(buffer.getvalue(), _filename(fair, hall), "application/pdf")


runner.register(SIGNAGE_JOB, signage_job, _l("展位标识 PDF"))


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
    if not booths:
        _no_booths()
    content = render_signs([sign_of(fair, booth) for booth in booths], title=_("%(fair)s 展位标识", fair=fair.name),
                           font_setting=current_app.config.get("FAIR_PDF_FONT"))
    return send_file(io.BytesIO(content), mimetype="application/pdf", as_attachment=True, download_name=filename,
                     max_age=0)
