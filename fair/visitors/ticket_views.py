"""Tickets on the web: a visitor registers on a phone and gets a ticket page (QR on screen, PNG, PDF); gate
staff register walk-ins; organizers list, search, revoke and re-issue tickets, import group lists, issue
passes in bulk and export every ticket for printing. Thin: every change goes through visitors.services.

The ticket page is public: its URL carries the ticket's random code (80 bits), which is what makes it
private. Phones are masked there and everywhere else except on the organizers' pages."""
import io
from dataclasses import dataclass

import sqlalchemy as sa
from flask import abort, current_app, flash, g, redirect, render_template, request, send_file, url_for
from flask_babel import force_locale, gettext as _, lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4

from fair import exports
from fair.auth.models import Role
from fair.auth.permissions import fair_role_required
from fair.documents.pdf import cjk_font, draw_text, fit, new_canvas
from fair.documents.qrcodes import QUIET_ZONE, draw_qr, qr_code
from fair.extensions import db, limiter
from fair.fairs.models import Fair
from fair.forms import show_refusal
from fair.jobs import runner, views as jobs
from fair.navigation import add_fair_nav
from fair.refusal import Refused
from fair.visitors import services
from fair.visitors.forms import BulkForm, ImportForm, ReissueForm, RevokeForm, VisitorForm
from fair.visitors.models import VISITOR_KIND_LABELS, Ticket, TicketSource, VisitorKind
from fair.visitors.views import bp

add_fair_nav(60, _l("入场码管理"), "visitors.tickets", Role.organizer,
             also=("visitors.tickets_import", "visitors.tickets_bulk"))
add_fair_nav(62, _l("现场登记"), "visitors.walk_in", Role.gate_staff)
PER_PAGE = 50
MAX_QUERY = 60
DEFAULT_REGISTER_LIMIT = "20 per minute; 200 per hour"


def _register_limit() -> str:
    """Per address: a school's wifi puts a class behind one address, so looser than the log-in's."""
    return current_app.config.get("FAIR_REGISTER_LIMIT", DEFAULT_REGISTER_LIMIT)


def _submitted_phone() -> str:
    """Per phone: whoever knows a number gets few tries at the name that recovers its ticket."""
    return "register-visit:" + "".join(ch for ch in request.form.get("phone", "") if ch.isdigit())[-11:]


def _is_organizer(fair: Fair) -> bool:
    return current_user.is_authenticated and current_user.has_role(fair, Role.organizer)


def _fair(slug: str) -> Fair:
    fair = db.first_or_404(sa.select(Fair).where(Fair.slug == slug))
    g.fair = fair
    return fair


def _ticket(fair: Fair, code: str) -> Ticket:
    return db.first_or_404(sa.select(Ticket).where(Ticket.fair_id == fair.id, Ticket.code == code.upper()))


# --- the visitor ---------------------------------------------------------------------------------------

@bp.route("/register-visit", methods=["GET", "POST"])
@limiter.limit(_register_limit, methods=["POST"])
@limiter.limit("5 per minute; 20 per hour", methods=["POST"], key_func=_submitted_phone)
def register_visit(slug: str):
    """Public and mobile first; open while the fair prepares and runs."""
    fair = _fair(slug)
    if not services.registration_open(fair):
        return render_template("visitors/register_closed.html", fair=fair), 403 if request.method == "POST" else 200
    form = VisitorForm()
    if form.validate_on_submit():
        try:
            ticket, created = services.register_visitor(fair, form.details(), actor=None)
        except Refused as refusal:
            show_refusal(form, refusal)
        else:
            flash(_("登记成功！请保存此页面或下载入场码，入场时出示二维码。") if created else
                  _("该手机号已登记过，这是您的入场码。"), "success")
            return redirect(url_for("visitors.ticket", slug=fair.slug, code=ticket.code))
    return render_template("visitors/register.html", fair=fair, form=form), 400 if form.errors else 200


@bp.get("/tickets/<code>")
def ticket(slug: str, code: str):
    fair = _fair(slug)
    ticket = _ticket(fair, code)
    text = services.qr_text(ticket)
    db.session.commit()                          # the fair's key, if this made it
    return render_template("visitors/ticket.html", fair=fair, ticket=ticket, qr_svg=_svg(text),
                           phone=ticket.phone if _is_organizer(fair) else services.mask_phone(ticket.phone),
                           organizer=_is_organizer(fair))


@bp.get("/tickets/<code>/ticket.png")
def ticket_png(slug: str, code: str):
    fair = _fair(slug)
    ticket = _ticket(fair, code)
    buffer = io.BytesIO()
    qr_code(services.qr_text(ticket)).save(buffer, kind="png", scale=10, border=QUIET_ZONE)
    db.session.commit()
    buffer.seek(0)
    return send_file(buffer, mimetype="image/png", download_name=f"ticket-{fair.slug}-{ticket.code[:6]}.png",
                     max_age=0)


@bp.get("/tickets/<code>/ticket.pdf")
def ticket_pdf(slug: str, code: str):
    fair = _fair(slug)
    ticket = _ticket(fair, code)
    content = render_tickets(fair, [ticket], services.qr_texts(fair, [ticket]), per_page=1)
    db.session.commit()
    return send_file(io.BytesIO(content), mimetype="application/pdf", as_attachment=True,
                     download_name=f"ticket-{fair.slug}-{ticket.code[:6]}.pdf", max_age=0)


def _svg(text: str) -> Markup:
    """The QR code as inline SVG (no image request, sharp on any screen); segno escapes nothing of ours."""
    return Markup(qr_code(text).svg_inline(scale=1, border=QUIET_ZONE, omitsize=True, svgclass="ticket-qr w-100",
                                           lineclass=None, title=_("入场二维码")))


# --- at the gate ---------------------------------------------------------------------------------------

@bp.route("/visitors/walk-in", methods=["GET", "POST"])
@fair_role_required(Role.gate_staff, Role.organizer)
def walk_in(fair: Fair):
    """Four fields and Enter; the ticket's QR comes back big, with an empty form for the next visitor."""
    form = VisitorForm()
    issued = None
    if not services.registration_open(fair):
        return render_template("visitors/register_closed.html", fair=fair), 403 if request.method == "POST" else 200
    if form.validate_on_submit():
        try:
            ticket, created = services.register_visitor(fair, form.details(), source=TicketSource.walk_in,
                                                        actor=current_user)
        except Refused as refusal:
            show_refusal(form, refusal)
        else:
            issued = {"ticket": ticket, "created": created, "qr_svg": _svg(services.qr_text(ticket)),
                      "phone": services.mask_phone(ticket.phone)}
            db.session.commit()
            form = VisitorForm(formdata=None)
    scan_url = url_for("visitors.scan", slug=fair.slug) if "visitors.scan" in current_app.view_functions else None
    return render_template("visitors/register_walk_in.html", fair=fair, form=form, issued=issued,
                           scan_url=scan_url), 400 if form.errors else 200


# --- organizers ----------------------------------------------------------------------------------------

@dataclass
class TicketFilter:
    words: str
    kind: VisitorKind | None
    state: str                      # "", "valid", "revoked"
    group: str

    @classmethod
    def from_args(cls, args) -> "TicketFilter":
        kind = args.get("kind", "")
        state = args.get("state", "")
        return cls(" ".join(args.get("q", "").split())[:MAX_QUERY],
                   VisitorKind(kind) if kind in {k.value for k in VisitorKind} else None,
                   state if state in ("valid", "revoked") else "", args.get("group", "").strip()[:120])

    def args(self) -> dict:
        return {"q": self.words, "kind": self.kind.value if self.kind else "", "state": self.state,
                "group": self.group}

    def conditions(self) -> list:
        found = []
        if self.words:
            like = "%" + self.words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            digits = "".join(ch for ch in self.words if ch.isdigit())
            found.append(sa.or_(Ticket.name.ilike(like, escape="\\"), Ticket.group_name.ilike(like, escape="\\"),
                                *([Ticket.phone.contains(digits)] if len(digits) >= 3 else []),
                                Ticket.code == self.words.upper()))
        if self.kind:
            found.append(Ticket.kind == self.kind)
        if self.state:
            found.append(Ticket.revoked_at.is_(None) if self.state == "valid" else Ticket.revoked_at.is_not(None))
        if self.group:
            found.append(Ticket.group_name == self.group)
        return found


@bp.get("/visitors/tickets")
@fair_role_required(Role.organizer)
def tickets(fair: Fair):
    """Every ticket with its full phone, searchable; counts by kind. A page costs the same few statements
    whatever the number of tickets."""
    search = TicketFilter.from_args(request.args)
    page = db.paginate(_listed(fair, search), page=request.args.get("page", 1, type=int), per_page=PER_PAGE, error_out=False)
    counts = services.count_by_kind(fair)
    reissued = set(db.session.scalars(sa.select(Ticket.replaces_id).where(
        Ticket.replaces_id.in_([ticket.id for ticket in page.items])))) if page.items else set()
    return render_template("visitors/tickets.html", fair=fair, page=page, search=search, counts=counts,
                           kinds=VISITOR_KIND_LABELS, reissued=reissued)


def _listed(fair: Fair, search: TicketFilter):
    """The list's tickets under its search, newest first: the page and its export read this one query."""
    return sa.select(Ticket).where(Ticket.fair_id == fair.id, *search.conditions()).order_by(Ticket.id.desc())


@bp.get("/visitors/tickets/export")
@fair_role_required(Role.organizer)
def tickets_list_export(fair: Fair):
    """The tickets the list shows under its search, full phones included: the export is audited. Plain rows
    read in batches, not ORM objects, so 50,000 tickets stay cheap."""
    fmt = exports.requested_format()
    query = _listed(fair, TicketFilter.from_args(request.args)).with_only_columns(
        Ticket.code, Ticket.name, Ticket.phone, Ticket.kind, Ticket.group_name, Ticket.group_size, Ticket.valid_from,
        Ticket.valid_until, Ticket.issued_at, Ticket.revoked_at, Ticket.revoked_reason)
    with force_locale("zh_Hans"):
        kinds = {kind: str(label) for kind, label in VISITOR_KIND_LABELS.items()}
        valid, revoked = _("有效"), _("已作废")
    table = exports.Table("观众与入场码", [
        exports.Column("入场码"), exports.Column("姓名"), exports.Column("手机号"), exports.Column("观众类型"),
        exports.Column("团体名称"), exports.Column("人数", exports.NUMBER), exports.Column("有效期起", exports.DATE),
        exports.Column("有效期止", exports.DATE), exports.Column("签发时间", exports.DATETIME),
        exports.Column("状态"), exports.Column("作废原因")], timezone=fair.timezone)
    for row in db.session.execute(query.execution_options(yield_per=5_000)):
        table.rows.append([row.code, row.name, row.phone, kinds[row.kind], row.group_name or None, row.group_size,
                           row.valid_from, row.valid_until, row.issued_at, revoked if row.revoked_at else valid,
                           row.revoked_reason or None])
    exports.audit_export(current_user, fair, "visitors.ticket_list.exported", table, fmt)
    return exports.send_table(table, f"{fair.slug}-visitors", fmt)


@bp.post("/visitors/tickets/<code>/revoke")
@fair_role_required(Role.organizer)
def revoke(fair: Fair, code: str):
    ticket = _ticket(fair, code)
    form = RevokeForm()
    try:
        if not form.validate_on_submit():
            raise Refused(_("请填写作废原因。"), "required", "reason")
        services.revoke_ticket(ticket, form.reason.data, actor=current_user)
    except Refused as refusal:
        db.session.rollback()
        flash(refusal.message, "danger")
    else:
        flash(_("已作废 %(name)s 的入场码。", name=ticket.name), "success")
    return redirect(request.form.get("back") if _own(request.form.get("back")) else
                    url_for("visitors.tickets", slug=fair.slug))


@bp.post("/visitors/tickets/<code>/reissue")
@fair_role_required(Role.organizer)
def reissue(fair: Fair, code: str):
    ticket = _ticket(fair, code)
    if not ReissueForm().validate_on_submit():
        abort(400)
    try:
        new = services.reissue_ticket(ticket, actor=current_user)
    except Refused as refusal:
        db.session.rollback()
        flash(refusal.message, "danger")
        return redirect(url_for("visitors.tickets", slug=fair.slug))
    flash(_("已为 %(name)s 重新签发入场码，原入场码已作废。", name=new.name), "success")
    return redirect(url_for("visitors.ticket", slug=fair.slug, code=new.code))


def _own(target: str | None) -> bool:
    """A `back` link only within the tickets list (no open redirect)."""
    return bool(target) and target.startswith("/fairs/") and "//" not in target and "\\" not in target


@bp.route("/visitors/tickets/import", methods=["GET", "POST"])
@fair_role_required(Role.organizer)
def tickets_import(fair: Fair):
    """A group list, checked row by row and issued all or nothing."""
    form = ImportForm()
    result, problems, status = None, None, 200
    if request.method == "POST":
        status = 400
        if form.validate_on_submit():
            try:
                result = services.import_group_list(fair, form.file.data.read(), actor=current_user,
                                                    source=form.file.data.filename or "")
                status, form = 200, ImportForm(formdata=None)
            except Refused as refusal:
                db.session.rollback()
                problems = getattr(refusal, "problems", None)
                if problems is None:
                    form.file.errors.append(refusal.message)
                status = 422 if problems else 409
    return render_template("visitors/tickets_import.html", fair=fair, form=form, result=result, problems=problems,
                           columns=services.IMPORT_COLUMNS), status


@bp.get("/visitors/tickets/import/template.csv")
@fair_role_required(Role.organizer)
def tickets_import_template(fair: Fair):
    from fair.applications.spreadsheet import csv_bytes
    content = csv_bytes([column.header for column in services.IMPORT_COLUMNS],
                        [["张晓", "13812345678", "普通观众", "", 1], ["李老师", "13987654321", "学校或团体", "南京市第一中学", 45]])
    return send_file(io.BytesIO(content), mimetype="text/csv", as_attachment=True,
                     download_name=f"{fair.slug}-visitors-template.csv", max_age=0)


@bp.route("/visitors/tickets/bulk", methods=["GET", "POST"])
@fair_role_required(Role.organizer)
def tickets_bulk(fair: Fair):
    """Passes for a group in one go; then the group's list, with its PDF."""
    form = BulkForm()
    if form.validate_on_submit():
        try:
            codes = services.issue_group_passes(fair, form.group_name.data, form.count.data,
                                                VisitorKind(form.kind.data), actor=current_user)
        except Refused as refusal:
            db.session.rollback()
            show_refusal(form, refusal)
        else:
            flash(_("已为“%(group)s”签发 %(n)d 张入场码。", group=form.group_name.data.strip(), n=len(codes)), "success")
            return redirect(url_for("visitors.tickets", slug=fair.slug, group=" ".join(form.group_name.data.split())))
    return render_template("visitors/tickets_bulk.html", fair=fair, form=form), 400 if form.errors else 200


@bp.route("/visitors/tickets/group.pdf", methods=["GET", "POST"])
@fair_role_required(Role.organizer)
def group_pdf(fair: Fair):
    """A group's valid tickets in one PDF: one a page, or four to an A4 sheet (`per_page=4`). A few come at
    once; a bigger group's through a background job (GET shows what will be made, POST starts it)."""
    group = request.args.get("group", "").strip()
    per_page = 4 if request.args.get("per_page") == "4" else 1
    rows = _group_tickets(fair, group)
    if not group or not rows:
        abort(404, description=_("该团体没有有效的入场码。"))
    if request.method == "POST":
        return jobs.start(fair, TICKETS_JOB, {"group": group, "per_page": per_page})
    if len(rows) <= jobs.SMALL_BATCH:
        content = render_tickets(fair, rows, services.qr_texts(fair, rows), per_page=per_page)
        return send_file(io.BytesIO(content), mimetype="application/pdf", as_attachment=True,
                         download_name=f"tickets-{fair.slug}-{len(rows)}.pdf", max_age=0)
    return jobs.offer(fair, title=_("“%(group)s”的入场码", group=group),
                      summary=_("共 %(count)d 张有效入场码，每页 %(per_page)d 张。", count=len(rows), per_page=per_page),
                      back_url=url_for("visitors.tickets", slug=fair.slug, group=group))


def _group_tickets(fair: Fair, group: str) -> list[Ticket]:
    return db.session.scalars(sa.select(Ticket).where(Ticket.fair_id == fair.id, Ticket.group_name == group,
                                                      Ticket.revoked_at.is_(None)).order_by(Ticket.id)).all()


TICKETS_JOB = "visitors.group_tickets"


def group_tickets_job(context: runner.JobContext) -> runner.Result:
    """A group's tickets as a job, progress reported as the tickets are drawn."""
    fair = context.fair
    rows = _group_tickets(fair, context.params.get("group", ""))
    if not rows:
        raise runner.JobError(_("该团体没有有效的入场码。"))
    content = render_tickets(fair, rows, services.qr_texts(fair, rows), per_page=context.params.get("per_page", 1),
                             progress=context)
    return runner.Result(content, f"tickets-{fair.slug}-{len(rows)}.pdf", "application/pdf")


runner.register(TICKETS_JOB, group_tickets_job, _l("团体入场码 PDF"))


@bp.get("/visitors/tickets/export.csv")
@fair_role_required(Role.organizer)
def tickets_export(fair: Fair):
    """The same file as `fair visitors export-tickets`."""
    content = services.export_tickets(fair, actor=current_user)
    return send_file(io.BytesIO(content), mimetype="text/csv", as_attachment=True,
                     download_name=f"tickets-{fair.slug}.csv", max_age=0)


# --- the PDF -------------------------------------------------------------------------------------------

GREY = HexColor("#555555")
RED = HexColor("#c8102e")


def render_tickets(fair: Fair, rows: list[Ticket], texts: list[str], *, per_page: int,
                   progress: runner.JobContext | None = None) -> bytes:
    """Tickets on A4: one a page (a visitor's own), or four to a sheet (2 × 2, for cutting). Labels are
    Chinese with English below, whatever the UI language: the paper goes to the gate. A job's `progress`
    hears of each step (and stops the drawing if the job is cancelled)."""
    font = cjk_font(current_app.config.get("FAIR_PDF_FONT"))
    buffer = io.BytesIO()
    canvas = new_canvas(buffer, title=f"{fair.name} 入场码", font=font, pagesize=A4)
    width, height = A4
    cells = [(0, 0, width, height)] if per_page == 1 else \
        [(x, y, width / 2, height / 2) for y in (height / 2, 0) for x in (0, width / 2)]
    pairs = list(zip(rows, texts))
    for index, (ticket, text) in enumerate(progress.each(pairs, _("正在生成入场码")) if progress else pairs):
        if index and index % len(cells) == 0:
            canvas.showPage()
        x, y, w, h = cells[index % len(cells)]
        _draw_ticket(canvas, fair, ticket, text, x, y, w, h, font)
        if per_page > 1:                                   # cutting lines
            canvas.setStrokeColor(HexColor("#bbbbbb"))
            canvas.setDash(3, 3)
            canvas.rect(x, y, w, h, stroke=1, fill=0)
            canvas.setDash()
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _draw_ticket(canvas, fair: Fair, ticket: Ticket, text: str, x: float, y: float, w: float, h: float,
                 font) -> None:
    scale = w / A4[0]
    margin = 40 * scale
    top = y + h - margin
    size, lines = fit(fair.name, font, w - 2 * margin, [s * scale for s in (24, 20, 16)], max_lines=2)
    for line in lines:
        top -= size * 1.25
        draw_text(canvas, x + w / 2, top, line, font, size, align="centre", bold=True)
    top -= 28 * scale
    draw_text(canvas, x + w / 2, top, "入场码 · Admission ticket", font, 16 * scale, align="centre", colour=RED)
    qr = min(w - 2 * margin, 300 * scale)
    top -= 12 * scale + qr
    draw_qr(canvas, text, x + (w - qr) / 2, top, qr)
    facts = [("姓名 Name", ticket.name),
             ("观众类型 Visitor", f"{VISITOR_KIND_LABELS[ticket.kind]} · {ticket.kind.value}"),
             ("有效期 Valid", f"{ticket.valid_from.isoformat()} – {ticket.valid_until.isoformat()}")]
    if ticket.group_size > 1:
        facts.append(("人数 People", str(ticket.group_size)))
    if ticket.group_name:
        facts.append(("团体 Group", ticket.group_name))
    if ticket.phone:
        facts.append(("手机 Phone", services.mask_phone(ticket.phone)))
    top -= 30 * scale
    for label, value in facts:
        value_size, value_lines = fit(value, font, w - 2 * margin - 150 * scale, [14 * scale, 11 * scale],
                                      max_lines=1)
        draw_text(canvas, x + margin, top, label, font, 11 * scale, colour=GREY)
        draw_text(canvas, x + margin + 150 * scale, top, value_lines[0], font, value_size)
        top -= 24 * scale
    draw_text(canvas, x + w / 2, y + margin, f"{fair.venue} · 入场时请出示此二维码 Show this code at the gate",
              font, 9 * scale, align="centre", colour=GREY)
