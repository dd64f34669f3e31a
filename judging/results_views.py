"""Results and awards pages: the organizer's results table (raw, adjusted, rank, interval side by side,
flags, outlier judges) with overrides, tie decisions, freeze and publication; the certificates as PDF;
the exhibitor's own awards; and the public certificate verification page (`verify_bp`, outside the fair's
prefix, registered by create_app)."""
import io
from typing import NamedTuple
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from reportlab.lib.pagesizes import A4, landscape
from flask_babel import get_locale, gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, SelectField, TextAreaField
from wtforms.validators import DataRequired

from fair import exports
from fair.applications.models import Application
from fair.auth.models import Role
from fair.auth.permissions import fair_role_required
from fair.extensions import db, limiter
from fair.fairs.models import Fair
from fair.forms import at_most, show_refusal, whole_number
from fair.navigation import add_fair_nav
from fair.refusal import Refused
from judging import assigning, awards
from fair.documents.pdf import cjk_font, new_canvas
from fair.jobs import runner, views as jobs
from judging.certificates import Certificate, draw_certificate, render_certificates
from judging.models import Award, AwardTier, JudgingSetup
from judging.views import bp

add_fair_nav(55, _l("评审结果"), "judging.results", Role.organizer)
add_fair_nav(56, _l("我的奖项"), "judging.my_awards", Role.exhibitor)
verify_bp = Blueprint("certificates", __name__)
BACK_TO_RANKING, NO_AWARD = "ranking", "none"


class TieError(NamedTuple):
    """A refused tie decision, shown in its tie's card with what was entered."""

    application_ids: list            # sorted
    message: str
    reason: str
    positions: dict


class OverrideForm(FlaskForm):
    application = SelectField(_l("项目"), coerce=int, validate_choice=False)
    tier = SelectField(_l("调整为"))
    reason = TextAreaField(_l("调整理由"), validators=[at_most(awards.REASON_LENGTH)])


class TieForm(FlaskForm):
    """The order comes as `order-<application id>` fields, one per tied project; here only the reason."""

    reason = TextAreaField(_l("决定理由"), validators=[at_most(awards.REASON_LENGTH)])


class FreezeForm(FlaskForm):
    confirm = BooleanField(_l("我已核对评审结果与奖项，确认定稿（定稿后不能再调整）"),
                           validators=[DataRequired(message=_l("请先勾选确认。"))])


class PublishForm(FlaskForm):
    confirm = BooleanField(_l("确认发布获奖结果并通知获奖单位（发布后不能撤销）"),
                           validators=[DataRequired(message=_l("请先勾选确认。"))])


class ExtraJudgeForm(FlaskForm):
    """Only the CSRF token: the project is in the URL."""


def _tier_name(tier: AwardTier | None, locale: str) -> str:
    if tier is None:
        return _("无奖项")
    return tier.name_en if locale.startswith("en") and tier.name_en else tier.name


def _override_form(current: awards.Results, locale: str, formdata=None) -> OverrideForm:
    form = OverrideForm(formdata=formdata)
    form.application.choices = [SelectChoice(entry.application.id, f"{entry.rank or '—'} · {entry.application.title}")
                                for entry in current.projects]
    form.tier.choices = ([SelectChoice(BACK_TO_RANKING, _("按排名（取消人工调整）"))]
                         + [SelectChoice(str(tier.id), _tier_name(tier, locale)) for tier in current.tiers]
                         + [SelectChoice(NO_AWARD, _("不授奖"))])
    if formdata is None:
        form.application.data = request.args.get("adjust", type=int)
    return form


def _render(fair: Fair, *, status: int = 200, override_form=None, tie_error=None, freeze_form=None):
    locale = str(get_locale())
    current, frozen, rows = _shown(fair, locale)
    zone_id, category_id, flagged_only = _filters()
    zones = sorted({entry.zone.id: entry.zone for entry in current.projects if entry.zone}.values(),
                   key=lambda zone: (zone.position, zone.name))
    titles = {entry.application.id: entry.application for entry in current.projects}
    return render_template(
        "judging/results.html", fair=fair, results=current, rows=rows, frozen=frozen, zones=zones,
        zone_id=zone_id, category_id=category_id, flagged_only=flagged_only, titles=titles,
        tier_name=lambda tier: _tier_name(tier, locale),
        percents=_percents,
        tie_tiers=lambda tie: " / ".join(_tier_name(current.tier_of(tier_id), locale) for tier_id in tie.tier_ids),
        override_form=override_form or _override_form(current, locale), tie_form=TieForm(formdata=None),
        tie_error=tie_error, freeze_form=freeze_form or FreezeForm(formdata=None),
        publish_form=PublishForm(formdata=None), extra_form=ExtraJudgeForm(formdata=None),
        extra_possible=current.setup.opened_at is not None and current.setup.locked_at is None,
        counts={"straddles": sum(entry.straddles for entry in current.projects),
                "uncertain": sum(entry.uncertain for entry in current.projects),
                "disagreement": sum(entry.disagreement for entry in current.projects),
                "outliers": sum(judge.outlier for judge in current.judges)}), status


@bp.get("/results")
@fair_role_required(Role.organizer)
def results(fair):
    return _render(fair)


def _filters() -> tuple[int | None, int | None, bool]:
    return request.args.get("zone", type=int), request.args.get("category", type=int), request.args.get("flagged") == "1"


def _shown(fair: Fair, locale: str) -> tuple[awards.Results, dict, list[awards.ProjectResult]]:
    """The results, the frozen awards by project, and the rows the page's filters keep: the page and its
    exports read them here, so a file holds what the table shows."""
    current = awards.results(fair, locale=locale)
    frozen = {}
    if current.setup.frozen_at:        # only the awards: their tiers are in the session already, with `current`
        frozen = {award.application_id: award
                  for award in db.session.scalars(sa.select(Award).where(Award.fair_id == fair.id))}
    zone_id, category_id, flagged_only = _filters()
    rows = [entry for entry in current.projects
            if (zone_id is None or (entry.zone and entry.zone.id == zone_id))
            and (category_id is None or entry.application.category_id == category_id)
            and (not flagged_only or entry.flagged)]
    return current, frozen, rows


def _award_of(current: awards.Results, frozen: dict, entry: awards.ProjectResult) -> tuple[AwardTier | None, str]:
    """The tier the row shows (the frozen award once frozen, else the provisional one) and its reason."""
    if current.setup.frozen_at:
        award = frozen.get(entry.application.id)
        return (award.tier, award.reason or "") if award else (None, "")
    return entry.tier, entry.pin.reason if entry.pin else ""


def _percents(values: tuple[float, ...]) -> str:
    """The priority criteria's means as whole per cents, "88 / 90" (once per row, not a chain of filters)."""
    return " / ".join(str(int(round(value, 0))) for value in values)


def _one_place(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


@bp.get("/results/export")
@fair_role_required(Role.organizer)
def results_export(fair):
    """The results table as filtered: ranks, raw and adjusted scores with their interval, the flags, the award."""
    fmt = exports.requested_format()
    current, frozen, rows = _shown(fair, "zh_Hans")
    table = exports.Table("评审结果", [
        exports.Column("排名", exports.NUMBER), exports.Column("编号", exports.NUMBER), exports.Column("项目名称"),
        exports.Column("申报单位"), exports.Column("展区"), exports.Column("服务领域"),
        exports.Column("原始均分", exports.NUMBER), exports.Column("校正分", exports.NUMBER),
        exports.Column("区间下限", exports.NUMBER), exports.Column("区间上限", exports.NUMBER),
        exports.Column("份数", exports.NUMBER), exports.Column("分差", exports.NUMBER),
        exports.Column("中位数", exports.NUMBER), exports.Column("标记"),
        exports.Column("奖项" if current.setup.frozen_at else "暂定奖项"), exports.Column("调整理由")],
        timezone=fair.timezone)
    for entry in rows:
        application = entry.application
        tier, reason = _award_of(current, frozen, entry)
        table.rows.append([
            entry.rank, application.id, application.title, application.organisation_name,
            entry.zone.name if entry.zone else None, application.category.name, _one_place(entry.raw_mean),
            _one_place(entry.estimate), _one_place(entry.low), _one_place(entry.high), entry.marks,
            _one_place(entry.spread), _one_place(entry.median), "、".join(_flags(entry)) or None,
            tier.name if tier else None, reason or None])
    return exports.send_table(table, f"{fair.slug}-judging-results", fmt)


def _flags(entry: awards.ProjectResult) -> list[str]:
    return [word for word, on in (("并列待决", entry.tie is not None and not entry.tie.decided),
                                  ("跨越分界", entry.straddles), ("不够确定", entry.uncertain),
                                  ("评委分歧", entry.disagreement)) if on]


@bp.get("/results/awards/export")
@fair_role_required(Role.organizer)
def awards_export(fair):
    """The award list (frozen, else provisional) under the page's filters, best tier first, then by rank."""
    fmt = exports.requested_format()
    current, frozen, rows = _shown(fair, "zh_Hans")
    order = {tier.id: index for index, tier in enumerate(current.tiers)}
    awarded = [(tier, reason, entry) for entry in rows
               for tier, reason in [_award_of(current, frozen, entry)] if tier is not None]
    awarded.sort(key=lambda item: (order.get(item[0].id, len(order)), item[2].rank or 0, item[2].application.id))
    table = exports.Table("获奖名单", [
        exports.Column("奖项"), exports.Column("排名", exports.NUMBER), exports.Column("编号", exports.NUMBER),
        exports.Column("项目名称"), exports.Column("申报单位"), exports.Column("展区"), exports.Column("服务领域"),
        exports.Column("校正分", exports.NUMBER), exports.Column("理由")], timezone=fair.timezone)
    for tier, reason, entry in awarded:
        application = entry.application
        table.rows.append([tier.name, entry.rank, application.id, application.title, application.organisation_name,
                           entry.zone.name if entry.zone else None, application.category.name,
                           _one_place(entry.estimate), reason or None])
    return exports.send_table(table, f"{fair.slug}-awards", fmt)


@bp.post("/results/override")
@fair_role_required(Role.organizer)
def override(fair):
    locale = str(get_locale())
    form = _override_form(awards.results(fair, locale=locale), locale, formdata=request.form)
    application = db.session.get(Application, form.application.data) if form.application.data else None
    try:
        if not form.validate_on_submit():
            raise Refused(" ".join(str(error) for error in form.reason.errors or form.tier.errors), "invalid", "reason")
        if application is None or application.fair_id != fair.id:
            raise Refused(_("请选择项目。"), "no_application", "application")
        if form.tier.data == BACK_TO_RANKING:
            awards.clear_override(application, actor=current_user)
        else:
            tier = None if form.tier.data == NO_AWARD else db.session.get(AwardTier, int(form.tier.data))
            awards.override(application, tier, reason=form.reason.data, actor=current_user)
    except Refused as refusal:
        show_refusal(form, refusal)
        return _render(fair, status=400, override_form=form)
    flash(_("已调整“%(title)s”。", title=application.title), "success")
    return redirect(url_for("judging.results", slug=fair.slug))


@bp.post("/results/ties")
@fair_role_required(Role.organizer)
def decide_tie(fair):
    form = TieForm()
    positions = {}
    for key, value in request.form.items():
        if key.startswith("order-") and whole_number(key[6:]) is not None:
            positions[whole_number(key[6:])] = whole_number(value) or 0
    order = sorted(positions, key=lambda application_id: positions[application_id])
    try:
        if not form.validate_on_submit():
            raise Refused(" ".join(str(error) for error in form.reason.errors), "invalid", "reason")
        if sorted(positions.values()) != list(range(1, len(positions) + 1)):
            raise Refused(_("请为并列的每个项目排出不同的名次（1、2、3……）。"), "bad_order", "order")
        awards.decide_tie(fair, order, reason=form.reason.data, actor=current_user)
    except Refused as refusal:
        return _render(fair, status=400, tie_error=TieError(sorted(positions), refusal.message,
                                                            form.reason.data or "", positions))
    flash(_("已记录并列名次的决定。"), "success")
    return redirect(url_for("judging.results", slug=fair.slug, _anchor="ties"))


@bp.post("/results/freeze")
@fair_role_required(Role.organizer)
def freeze(fair):
    form = FreezeForm()
    if not form.validate_on_submit():
        return _render(fair, status=400, freeze_form=form)
    try:
        count = awards.freeze(fair, actor=current_user)
    except Refused as refusal:
        flash(refusal.message, "danger")
        return redirect(url_for("judging.results", slug=fair.slug))
    flash(_("评审结果已定稿：共 %(n)d 个奖项。", n=count), "success")
    return redirect(url_for("judging.results", slug=fair.slug))


@bp.post("/results/publish")
@fair_role_required(Role.organizer)
def publish(fair):
    if not PublishForm().validate_on_submit():
        flash(_("请先勾选确认。"), "danger")
        return redirect(url_for("judging.results", slug=fair.slug, _anchor="publish"))
    try:
        count = awards.publish(fair, actor=current_user)
    except Refused as refusal:
        flash(refusal.message, "danger")
    else:
        flash(_("获奖结果已发布，已通知 %(n)d 个获奖项目的申报单位。", n=count), "success")
    return redirect(url_for("judging.results", slug=fair.slug))


@bp.post("/results/extra/<int:application_id>")
@fair_role_required(Role.organizer)
def request_extra(fair, application_id: int):
    application = db.first_or_404(sa.select(Application).where(Application.id == application_id,
                                                                Application.fair_id == fair.id))
    if not ExtraJudgeForm().validate_on_submit():
        abort(400)
    try:
        pair = assigning.request_extra_judge(application, actor=current_user)
    except Refused as refusal:
        flash(refusal.message, "danger")
    else:
        flash(_("已为“%(title)s”加派评委：%(judge)s。", title=application.title, judge=str(pair.judge)), "success")
    return redirect(url_for("judging.results", slug=fair.slug, _anchor=f"project-{application.id}"))


# ---- certificates ------------------------------------------------------------------------------------

def _date(setup: JudgingSetup, fair: Fair) -> str:
    """The day the results were signed off, in the fair's timezone, as Chinese certificates write it."""
    day = setup.frozen_at.astimezone(ZoneInfo(fair.timezone)).date()
    return f"{day.year}年{day.month}月{day.day}日"


def certificate_of(fair: Fair, setup: JudgingSetup, award: Award) -> Certificate:
    return Certificate(fair.name, award.application.title, award.application.organisation.name, award.tier.name,
                       _date(setup, fair), award.certificate_code,
                       url_for("certificates.verify", code=award.certificate_code, _external=True))


def _pdf(fair: Fair, setup: JudgingSetup, chosen: list[Award], filename: str):
    content = render_certificates([certificate_of(fair, setup, award) for award in chosen],
                                  title=_("%(fair)s 获奖证书", fair=fair.name),
                                  font_setting=current_app.config.get("FAIR_PDF_FONT"))
    return send_file(io.BytesIO(content), mimetype="application/pdf", as_attachment=True, download_name=filename,
                     max_age=0)


def _frozen_setup(fair: Fair) -> JudgingSetup:
    setup = db.session.get(JudgingSetup, fair.id)
    if setup is None or setup.frozen_at is None:
        abort(404, description=_("评审结果定稿后才有获奖证书。"))
    return setup


@bp.route("/certificates.pdf", methods=["GET", "POST"])
@fair_role_required(Role.organizer)
def certificates(fair):
    """Every certificate, best tier first, for printing: a few at once, more through a background job
    (GET shows what will be made, POST starts it)."""
    setup = _frozen_setup(fair)
    chosen = awards.awards_of(fair)
    if not chosen:
        abort(404, description=_("没有获奖项目。"))
    if request.method == "POST":
        return jobs.start(fair, CERTIFICATES_JOB, {})
    if len(chosen) <= jobs.SMALL_BATCH:
        return _pdf(fair, setup, chosen, f"certificates-{fair.slug}.pdf")
    return jobs.offer(fair, title=_("全部获奖证书"), summary=_("共 %(count)d 张证书，每张一页（A4 横向）。", count=len(chosen)),
                      back_url=url_for("judging.results", slug=fair.slug))


CERTIFICATES_JOB = "judging.certificates"


def certificates_job(context: runner.JobContext) -> runner.Result:
    """Every certificate as a job, progress reported as the pages are drawn."""
    fair = context.fair
    setup = db.session.get(JudgingSetup, fair.id)
    if setup is None or setup.frozen_at is None:
        raise runner.JobError(_("评审结果定稿后才有获奖证书。"))
    chosen = awards.awards_of(fair)
    if not chosen:
        raise runner.JobError(_("没有获奖项目。"))
    font = cjk_font(current_app.config.get("FAIR_PDF_FONT"))
    buffer = io.BytesIO()
    canvas = new_canvas(buffer, title=_("%(fair)s 获奖证书", fair=fair.name), font=font, pagesize=landscape(A4))
    for award in context.each(chosen, _("正在生成获奖证书")):
        draw_certificate(canvas, certificate_of(fair, setup, award), font)
        canvas.showPage()
    canvas.save()
    return runner.Result(buffer.getvalue(), f"certificates-{fair.slug}.pdf", "application/pdf")


runner.register(CERTIFICATES_JOB, certificates_job, _l("获奖证书 PDF"))


@bp.get("/awards/<int:award_id>/certificate.pdf")
@fair_role_required(Role.organizer, Role.exhibitor)
def certificate(fair, award_id: int):
    """The organizer's, or after publication the awarded organisation's exhibitors'; to others it does not exist."""
    setup = _frozen_setup(fair)
    found = awards.awards_of(fair, Award.id == award_id)
    if not found:
        abort(404)
    award = found[0]
    if Role.organizer not in current_user.roles_in(fair):
        if setup.published_at is None or award.application.organisation_id != current_user.organisation_id:
            abort(404)
    return _pdf(fair, setup, [award], f"certificate-{fair.slug}-{award.id}.pdf")


@bp.get("/my-awards")
@fair_role_required(Role.exhibitor)
def my_awards(fair):
    setup = db.session.get(JudgingSetup, fair.id)
    published = setup is not None and setup.published_at is not None
    mine = []
    if published and current_user.organisation_id is not None:
        mine = awards.awards_of(fair, Award.application_id.in_(
            sa.select(Application.id).where(Application.organisation_id == current_user.organisation_id)))
    locale = str(get_locale())
    return render_template("judging/awards_mine.html", fair=fair, published=published, mine=mine,
                           tier_name=lambda tier: _tier_name(tier, locale),
                           has_organisation=current_user.organisation_id is not None)


@verify_bp.get("/certificates/<code>")
@limiter.limit("60 per minute")
def verify(code: str):
    """Public: genuine (what the certificate says) or a 404 that says it is not genuine. Certificates exist
    from the freeze on; the page shows only what the paper itself shows."""
    award = None
    if 20 <= len(code) <= 64:
        award = db.session.scalar(sa.select(Award).where(Award.certificate_code == code))
    setup = db.session.get(JudgingSetup, award.fair_id) if award else None
    if award is None or setup is None or setup.frozen_at is None:
        return render_template("judging/certificate_verify.html", award=None), 404
    fair = db.session.get(Fair, award.fair_id)
    locale = str(get_locale())
    return render_template("judging/certificate_verify.html", award=award, fair=fair,
                           tier_name=award.tier.name + (f" ({award.tier.name_en})" if locale.startswith("en")
                                                        and award.tier.name_en else ""),   # as printed, in Chinese
                           date=_date(setup, fair))
