"""Agreement pages: the lists (a representative's own, the organizer's all), drafting and editing, the two
signing confirmations, amendment and cancellation, the PDF, the public verification page, the organizer's
signing-ceremony list, and the agreement panel of the catalog's project page. Thin: parse, check who may,
call sponsorship.agreements, render; a refusal is shown next to its field or on the page it concerns."""
import io
from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import joinedload
from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import force_locale, gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateField, HiddenField, IntegerField, SelectChoice, SelectField,
                     SelectMultipleField, StringField, TextAreaField)
from wtforms.validators import DataRequired, Optional
from wtforms.widgets import CheckboxInput, HiddenInput, ListWidget

from fair import exports
from fair.applications.models import SUPPORT_LABELS, Application
from fair.auth.models import Organisation, Role
from fair.auth.permissions import deny, fair_role_required
from fair.booths.placing import PLACEABLE, is_placeable
from fair.extensions import db, limiter
from fair.fairs.models import Fair
from fair.forms import Obeys, at_most, required, show_refusal
from fair.navigation import add_fair_nav
from fair.refusal import Refused
from sponsorship import agreement_text, agreements
from sponsorship.access import is_organizer, represents_project, represents_sponsor, sponsor_of
from sponsorship.agreement_pdf import AgreementDocument, SignatureLine, render_agreement
from sponsorship.models import Agreement, AgreementStatus, Side, SponsorProfile
from sponsorship.views import bp

DETAIL_PAGES = ("sponsorship.agreement", "sponsorship.new_agreement", "sponsorship.edit_agreement",
                "sponsorship.sign_agreement", "sponsorship.countersign_agreement", "sponsorship.cancel_agreement")
add_fair_nav(66, _l("支持协议"), "sponsorship.agreements", Role.sponsor, Role.exhibitor, Role.organizer,
             also=DETAIL_PAGES)
add_fair_nav(67, _l("签约仪式"), "sponsorship.signing_ceremony", Role.organizer)
PARTIES = (Role.sponsor, Role.exhibitor, Role.organizer)
TIMELINE = {agreements.DRAFTED: _l("起草"), agreements.EDITED: _l("修改草稿"), agreements.SIGNED: _l("支持方签署"),
            agreements.COUNTERSIGNED: _l("参展单位会签，协议生效"), agreements.AMENDED: _l("发起修订（本版本）"),
            agreements.SUPERSEDED: _l("被新版本取代"), agreements.CANCELLED: _l("取消")}
STATUS_STYLES = {AgreementStatus.draft: "text-bg-secondary", AgreementStatus.sponsor_signed: "text-bg-warning",
                 AgreementStatus.signed: "text-bg-success", AgreementStatus.superseded: "text-bg-light border",
                 AgreementStatus.cancelled: "text-bg-danger"}
PDF_STATUS = {AgreementStatus.draft: "草拟", AgreementStatus.sponsor_signed: "支持方已签，待参展单位会签",
              AgreementStatus.signed: "已签约", AgreementStatus.superseded: "已被修订版本取代",
              AgreementStatus.cancelled: "已取消"}
PER_PAGE = 50


# --- forms ------------------------------------------------------------------------------------------------

def _optional_id(value) -> int | None:
    """A select's id, or None for its "please choose" line (WTForms' int would fail on "")."""
    return int(value) if value not in ("", None) else None


def _yuan(field_name: str) -> Obeys:
    return Obeys(lambda value: agreements.parse_yuan(value, field_name))


class AgreementForm(FlaskForm):
    """Money typed in yuan (parse_yuan turns it into exact fen); the rules between fields are the service's."""

    version = IntegerField(widget=HiddenInput(), validators=[Optional()])
    sponsor_id = SelectField(_l("支持方"), coerce=_optional_id, validators=[required()])
    application_id = SelectField(_l("支持项目"), coerce=_optional_id, validators=[required()])
    amount = StringField(_l("资金支持（元）"), validators=[_yuan("amount"), at_most(20)],
                         description=_l("人民币，最多两位小数；只提供物资、志愿者、场地或专业服务时填 0。"))
    support_kinds = SelectMultipleField(
        _l("支持方式"), widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
        choices=[SelectChoice(kind.value, label) for kind, label in SUPPORT_LABELS.items()])
    in_kind_value = StringField(_l("实物及服务折合价值（元）"), validators=[_yuan("in_kind_value"), at_most(20)],
                                description=_l("物资、志愿者、场地或专业服务按市场价折算；没有填 0。"))
    in_kind_description = TextAreaField(_l("实物及服务说明"), validators=[at_most(agreements.DESCRIPTION_LENGTH)])
    period_start = DateField(_l("支持期限：开始日期"), validators=[DataRequired(message=_l("请填写有效的日期。"))])
    period_end = DateField(_l("支持期限：结束日期"), validators=[DataRequired(message=_l("请填写有效的日期。"))])
    terms = TextAreaField(_l("协议条款"), validators=[required(), at_most(agreements.TERMS_LENGTH)],
                          description=_l("双方的权利与义务、资金拨付方式、进展报告等。"))

    def details(self) -> agreements.AgreementDetails:
        return agreements.AgreementDetails(
            amount_fen=agreements.parse_yuan(self.amount.data, "amount"),
            support_kinds=tuple(self.support_kinds.data or ()), period_start=self.period_start.data,
            period_end=self.period_end.data, terms=self.terms.data or "",
            in_kind_value_fen=agreements.parse_yuan(self.in_kind_value.data, "in_kind_value"),
            in_kind_description=self.in_kind_description.data or "")


class SignForm(FlaskForm):
    """The hash of the text the page showed travels back, so a text changed meanwhile is not signed unseen."""

    text_sha256 = HiddenField()
    confirm = BooleanField(_l("我已阅读以上协议全文，确认以所代表单位的名义签署"),
                           validators=[DataRequired(message=_l("请先勾选确认。"))])


class CancelForm(FlaskForm):
    version = IntegerField(widget=HiddenInput(), validators=[Optional()])
    reason = TextAreaField(_l("取消原因"), validators=[required(), at_most(agreements.REASON_LENGTH)],
                           description=_l("双方及组织方都能看到此原因。"))


class AmendForm(FlaskForm):
    """Only the CSRF token: the agreement is in the URL."""


def _yuan_input(amount_fen: int) -> str:
    whole, fen = divmod(amount_fen, 100)
    return f"{whole}" + (f".{fen:02d}" if fen else "")


# --- shared helpers ---------------------------------------------------------------------------------------

def _agreement(fair: Fair, agreement_id: int) -> Agreement:
    """This fair's agreement version (404 for another fair's id), for its parties and organizers (403 for others)."""
    agreement = agreements.agreement_in(fair, agreement_id)
    if agreement is None:
        abort(404)
    if not agreements.can_view(current_user, agreement):
        deny(_("只有协议双方的代表和组织方可以查看此协议。"))
    return agreement


def _detail_url(agreement: Agreement) -> str:
    return url_for("sponsorship.agreement", slug=agreement.fair.slug, agreement_id=agreement.id)


def _deny_or_flash(refusal: Refused, agreement: Agreement):
    """Who may not act is told with a 403; an action out of turn goes back to the agreement with the reason."""
    if refusal.code == "not_representative":
        deny(refusal.message)
    flash(refusal.message, "danger")
    return redirect(_detail_url(agreement))


def _address() -> str:
    return request.remote_addr or ""


# --- lists ------------------------------------------------------------------------------------------------

def _status_filter() -> AgreementStatus | None:
    try:
        return AgreementStatus(request.args.get("status", ""))
    except ValueError:
        return None


@bp.get("/agreements", endpoint="agreements")
@fair_role_required(*PARTIES)
def agreement_list(fair):
    everything = is_organizer(current_user, fair)
    status = _status_filter()
    listing = agreements.list_agreements(fair, current_user, everything=everything, status=status,
                                         page=request.args.get("page", 1, type=int), per_page=PER_PAGE)
    return render_template("sponsorship/agreements.html", fair=fair, listing=listing, status=status,
                           everything=everything, statuses=list(AgreementStatus), styles=STATUS_STYLES,
                           may_draft=_drafting_side(fair) is not None)


EVERY_AGREEMENT = 2**31 - 1     # the export reads the list's own query as one page holding every agreement


@bp.get("/agreements/export")
@fair_role_required(Role.organizer)
def agreements_export(fair):
    """Every agreement the organizer's list shows under its status filter, in its order."""
    fmt = exports.requested_format()
    listing = agreements.list_agreements(fair, current_user, everything=True, status=_status_filter(),
                                         page=1, per_page=EVERY_AGREEMENT)
    with force_locale("zh_Hans"):
        statuses = {status: status.label for status in AgreementStatus}
        supports = {kind.value: str(label) for kind, label in SUPPORT_LABELS.items()}
    table = exports.Table("支持协议", [
        exports.Column("协议编号"), exports.Column("版本", exports.NUMBER), exports.Column("状态"),
        exports.Column("支持方"), exports.Column("项目"), exports.Column("项目单位"),
        exports.Column("金额", exports.MONEY), exports.Column("物资折价", exports.MONEY),
        exports.Column("支持方式"), exports.Column("期限起", exports.DATE), exports.Column("期限止", exports.DATE),
        exports.Column("签约时间", exports.DATETIME), exports.Column("取消原因")], timezone=fair.timezone)
    for agreement in listing.page.items:
        table.rows.append([
            agreement.number, agreement.revision, statuses[agreement.status], agreement.sponsor.organisation.name,
            agreement.application.title, agreement.application.organisation.name, agreement.amount_fen,
            agreement.in_kind_value_fen, "、".join(supports.get(kind, kind) for kind in agreement.support_kinds),
            agreement.period_start, agreement.period_end, agreement.signed_at, agreement.cancel_reason or None])
    return exports.send_table(table, f"{fair.slug}-agreements", fmt)


@bp.get("/signing-ceremony")
@fair_role_required(Role.organizer)
def signing_ceremony(fair):
    """The on-site list for the master of ceremonies and the signing table, printable."""
    try:
        day = date.fromisoformat(request.args.get("day", ""))
    except ValueError:
        day = agreements.today(fair)
    return render_template("sponsorship/agreement_ceremony.html", fair=fair, ceremony=agreements.ceremony(fair, day),
                           styles=STATUS_STYLES, is_today=day == agreements.today(fair))


# --- drafting and editing ---------------------------------------------------------------------------------

def _drafting_side(fair: Fair) -> Side | None:
    """A sponsor's representative drafts as the sponsor; else an exhibitor with an exhibited project."""
    if sponsor_of(current_user, fair) is not None:
        return Side.sponsor
    if current_user.organisation_id is not None and current_user.has_role(fair, Role.exhibitor):
        return Side.exhibitor
    return None


def _exhibited(fair: Fair, organisation_id: int | None = None, application_id: int | None = None) -> list:
    conditions = [Application.fair_id == fair.id, PLACEABLE]
    if organisation_id is not None:
        conditions.append(Application.organisation_id == organisation_id)
    if application_id is not None:
        conditions.append(Application.id == application_id)
    return db.session.execute(sa.select(Application.id, Application.title, Organisation.name)
                              .join(Organisation, Organisation.id == Application.organisation_id)
                              .where(*conditions).order_by(Application.title, Application.id)).all()


def _sponsors(fair: Fair) -> list:
    return db.session.execute(sa.select(SponsorProfile.id, Organisation.name)
                              .join(Organisation, Organisation.id == SponsorProfile.organisation_id)
                              .where(SponsorProfile.fair_id == fair.id).order_by(Organisation.name)).all()


def _new_form(fair: Fair, side: Side, formdata=None) -> AgreementForm:
    """The drafting form with the choices the drafting side has: a sponsor picks the project (the one its
    catalog link named, else any exhibited), an exhibitor one of its projects and any sponsor."""
    form = AgreementForm(formdata=formdata)
    wanted_project = request.args.get("application", type=int)
    wanted_sponsor = request.args.get("sponsor", type=int)
    if side is Side.sponsor:
        sponsor = sponsor_of(current_user, fair)
        wanted_sponsor = sponsor.id
        form.sponsor_id.choices = [SelectChoice(sponsor.id, sponsor.organisation.name)]
        projects = (_exhibited(fair, application_id=wanted_project) if wanted_project else []) or _exhibited(fair)
    else:
        form.sponsor_id.choices = ([SelectChoice("", _("请选择支持方"))]
                                   + [SelectChoice(row.id, row.name) for row in _sponsors(fair)])
        projects = _exhibited(fair, organisation_id=current_user.organisation_id)
    form.application_id.choices = [SelectChoice(row.id, f"{row.title}（{row.name}）") for row in projects]
    if len(projects) != 1:
        form.application_id.choices.insert(0, SelectChoice("", _("请选择项目")))
    if formdata is None:
        form.sponsor_id.data = wanted_sponsor
        form.application_id.data = wanted_project
        form.amount.data, form.in_kind_value.data = "", "0"
    return form


def _form_page(fair, form, *, agreement=None, status=200, side=None):
    return render_template("sponsorship/agreement_form.html", fair=fair, form=form, agreement=agreement,
                           side=side), status


@bp.route("/agreements/new", methods=["GET", "POST"])
@fair_role_required(Role.sponsor, Role.exhibitor)
def new_agreement(fair):
    side = _drafting_side(fair)
    if side is None:
        deny(_("只有支持方或参展单位的代表可以起草协议。"))
    form = _new_form(fair, side, formdata=request.form if request.method == "POST" else None)
    if request.method == "GET":
        return _form_page(fair, form, side=side)
    if form.validate_on_submit():
        sponsor = db.session.get(SponsorProfile, form.sponsor_id.data)
        application = db.session.get(Application, form.application_id.data)
        try:
            agreement = agreements.draft_agreement(fair, sponsor, application, form.details(), actor=current_user)
        except Refused as refusal:
            if refusal.code == "not_representative":
                deny(refusal.message)
            show_refusal(form, refusal)
        else:
            flash(_("协议草稿 %(number)s 已保存。请双方核对无误后，由支持方先签署。", number=agreement.number), "success")
            return redirect(_detail_url(agreement))
    return _form_page(fair, form, side=side, status=400)


@bp.route("/agreements/<int:agreement_id>/edit", methods=["GET", "POST"])
@fair_role_required(*PARTIES)
def edit_agreement(fair, agreement_id: int):
    agreement = _agreement(fair, agreement_id)
    try:
        agreements.check_can_edit(agreement, current_user)
    except Refused as refusal:
        return _deny_or_flash(refusal, agreement)
    if request.method == "GET":
        form = AgreementForm(formdata=None, data={
            "version": agreement.version, "amount": _yuan_input(agreement.amount_fen),
            "support_kinds": list(agreement.support_kinds or ()),
            "in_kind_value": _yuan_input(agreement.in_kind_value_fen),
            "in_kind_description": agreement.in_kind_description, "period_start": agreement.period_start,
            "period_end": agreement.period_end, "terms": agreement.terms})
        del form.sponsor_id, form.application_id
        return _form_page(fair, form, agreement=agreement)
    form = AgreementForm()
    del form.sponsor_id, form.application_id
    if form.validate_on_submit():
        try:
            agreements.update_draft(agreement, form.details(), actor=current_user, version=form.version.data)
        except Refused as refusal:
            show_refusal(form, refusal)
        else:
            flash(_("协议草稿已保存。"), "success")
            return redirect(_detail_url(agreement))
    return _form_page(fair, form, agreement=agreements.agreement_in(fair, agreement_id), status=400)


# --- one agreement ----------------------------------------------------------------------------------------

@bp.get("/agreements/<int:agreement_id>")
@fair_role_required(*PARTIES)
def agreement(fair, agreement_id: int):
    agreement = _agreement(fair, agreement_id)
    text = agreements.text_of(agreement)
    digest = agreement_text.sha256(text)
    versions = agreements.versions_of(agreement)
    return render_template(
        "sponsorship/agreement.html", fair=fair, agreement=agreement, text=text, digest=digest,
        signatures={signature.side: signature for signature in agreement.signatures}, parties=_parties(agreement),
        changed_since_signed=any(s.text_sha256 != digest for s in agreement.signatures),
        allowed=agreements.allowed(agreement, current_user), events=agreements.events_of(agreement),
        timeline=TIMELINE, versions=versions, styles=STATUS_STYLES, amend_form=AmendForm(formdata=None),
        superseded_by=next((v for v in versions if v.amends_id == agreement.id and v.signed_at is not None), None),
        pending=next((v for v in versions if v.status in agreements.OPEN and v.id != agreement.id), None))


def _parties(agreement: Agreement) -> list[tuple[Side, str]]:
    return [(Side.sponsor, agreement.sponsor.organisation.name),
            (Side.exhibitor, agreement.application.organisation.name)]


def _signing_page(fair, agreement: Agreement, side: Side, *, form=None, refusal=None, status=200):
    text = agreements.text_of(agreement)
    digest = agreement_text.sha256(text)
    form = form or SignForm(formdata=None)
    form.text_sha256.data = digest
    check = agreements.check_can_sign if side is Side.sponsor else agreements.check_can_countersign
    try:
        check(agreement, current_user)
        signable = True
    except Refused:
        signable = False
    party = agreement.sponsor.organisation.name if side is Side.sponsor else agreement.application.organisation.name
    return render_template("sponsorship/agreement_sign.html", fair=fair, agreement=agreement, side=side, text=text,
                           digest=digest, form=form, refusal=refusal, signable=signable, party=party), status


def _sign_view(fair, agreement_id: int, side: Side):
    agreement = _agreement(fair, agreement_id)
    check, act = ((agreements.check_can_sign, agreements.sign) if side is Side.sponsor
                  else (agreements.check_can_countersign, agreements.countersign))
    if request.method == "GET":
        try:
            check(agreement, current_user)
        except Refused as refusal:
            return _deny_or_flash(refusal, agreement)
        return _signing_page(fair, agreement, side)
    form = SignForm()
    if not form.validate_on_submit():
        return _signing_page(fair, agreement, side, form=form, status=400)
    try:
        act(agreement, current_user, form.text_sha256.data or "", address=_address())
    except Refused as refusal:
        if refusal.code == "not_representative":
            deny(refusal.message)
        fresh = agreements.agreement_in(fair, agreement_id)
        return _signing_page(fair, fresh, side, form=SignForm(formdata=None), refusal=refusal, status=409)
    if side is Side.sponsor:
        flash(_("支持方已签署协议 %(number)s，等待参展单位会签。", number=agreement.number), "success")
    else:
        flash(_("参展单位已会签，协议 %(number)s 已签约生效。", number=agreement.number), "success")
    return redirect(_detail_url(agreement))


@bp.route("/agreements/<int:agreement_id>/sign", methods=["GET", "POST"])
@fair_role_required(*PARTIES)
def sign_agreement(fair, agreement_id: int):
    return _sign_view(fair, agreement_id, Side.sponsor)


@bp.route("/agreements/<int:agreement_id>/countersign", methods=["GET", "POST"])
@fair_role_required(*PARTIES)
def countersign_agreement(fair, agreement_id: int):
    return _sign_view(fair, agreement_id, Side.exhibitor)


@bp.post("/agreements/<int:agreement_id>/amend")
@fair_role_required(*PARTIES)
def amend_agreement(fair, agreement_id: int):
    agreement = _agreement(fair, agreement_id)
    if not AmendForm().validate_on_submit():
        abort(400)
    try:
        amendment = agreements.amend(agreement, actor=current_user)
    except Refused as refusal:
        return _deny_or_flash(refusal, agreement)
    flash(_("已创建协议 %(number)s 的第 %(revision)d 版草稿。修改后须双方重新签署；签署完成前，原协议继续有效。",
            number=amendment.number, revision=amendment.revision), "success")
    return redirect(url_for("sponsorship.edit_agreement", slug=fair.slug, agreement_id=amendment.id))


@bp.route("/agreements/<int:agreement_id>/cancel", methods=["GET", "POST"])
@fair_role_required(*PARTIES)
def cancel_agreement(fair, agreement_id: int):
    agreement = _agreement(fair, agreement_id)
    try:
        agreements.check_can_cancel(agreement, current_user)
    except Refused as refusal:
        return _deny_or_flash(refusal, agreement)
    if request.method == "GET":
        form = CancelForm(formdata=None, data={"version": agreement.version})
        return render_template("sponsorship/agreement_cancel.html", fair=fair, agreement=agreement, form=form)
    form = CancelForm()
    if form.validate_on_submit():
        try:
            agreements.cancel(agreement, actor=current_user, reason=form.reason.data, version=form.version.data)
        except Refused as refusal:
            show_refusal(form, refusal)
        else:
            flash(_("协议 %(number)s 已取消。", number=agreement.number), "success")
            return redirect(_detail_url(agreement))
    return render_template("sponsorship/agreement_cancel.html", fair=fair,
                           agreement=agreements.agreement_in(fair, agreement_id), form=form), 400


# --- the PDF and its verification page --------------------------------------------------------------------

def _when(moment, fair: Fair) -> str:
    local = moment.astimezone(ZoneInfo(fair.timezone))
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M:%S}（{fair.timezone}）"


def document_of(agreement: Agreement) -> AgreementDocument:
    """What the PDF prints for this version, its times in the fair's timezone."""
    fair = agreement.fair
    text = agreements.text_of(agreement)
    signed = {signature.side: signature for signature in agreement.signatures}
    lines = []
    for side, party, organisation in (
            (Side.sponsor, agreement_text.SPONSOR_PARTY, agreement.sponsor.organisation.name),
            (Side.exhibitor, agreement_text.EXHIBITOR_PARTY, agreement.application.organisation.name)):
        signature = signed.get(side)
        lines.append(SignatureLine(party, organisation) if signature is None else SignatureLine(
            party, organisation, signature.signer_name, _when(signature.signed_at, fair), signature.text_sha256))
    notice = {AgreementStatus.draft: "本协议尚未签署，不具效力。",
              AgreementStatus.sponsor_signed: "支持方已签署，待参展单位会签后生效。",
              AgreementStatus.superseded: "本版本已被修订版本取代，不再有效。",
              AgreementStatus.cancelled: "本协议已取消，不再有效。"}.get(agreement.status, "")
    return AgreementDocument(text=text, text_sha256=agreement_text.sha256(text), status=PDF_STATUS[agreement.status],
                             notice=notice, signatures=tuple(lines), code=agreement.verification_code,
                             url=url_for("sponsorship.verify_agreement", slug=fair.slug,
                                         code=agreement.verification_code, _external=True))


@bp.get("/agreements/<int:agreement_id>/agreement.pdf")
@fair_role_required(*PARTIES)
def agreement_pdf(fair, agreement_id: int):
    agreement = _agreement(fair, agreement_id)
    content = render_agreement(document_of(agreement),
                               title=_("支持协议 %(number)s 第 %(revision)d 版", number=agreement.number,
                                       revision=agreement.revision),
                               font_setting=current_app.config.get("FAIR_PDF_FONT"))
    return send_file(io.BytesIO(content), mimetype="application/pdf", as_attachment=True, max_age=0,
                     download_name=f"agreement-{agreement.number}-v{agreement.revision}.pdf")


@bp.get("/agreements/verify/<code>")
@limiter.limit("60 per minute")
def verify_agreement(slug: str, code: str):
    """Public: what the paper should say (parties, project, amounts, status, signature times and hashes),
    or a 404 that says no such agreement exists. No contact data, no signer names, no addresses."""
    fair = db.session.scalar(sa.select(Fair).where(Fair.slug == slug))
    agreement = agreements.by_verification_code(fair, code) if fair else None
    if agreement is None:
        return render_template("sponsorship/agreement_verify.html", agreement=None), 404
    text = agreements.text_of(agreement)
    newer = next((v for v in agreements.versions_of(agreement)
                  if v.revision > agreement.revision and v.status is AgreementStatus.signed), None)
    return render_template("sponsorship/agreement_verify.html", fair=fair, agreement=agreement,
                           digest=agreement_text.sha256(text), newer=newer, styles=STATUS_STYLES)


# --- the catalog's project page ---------------------------------------------------------------------------

@dataclass
class Panel:
    """What the project page's agreement panel shows the current user."""

    visible: bool = False
    draft_url: str | None = None
    agreements: list = field(default_factory=list)
    styles: dict = field(default_factory=lambda: STATUS_STYLES)


@bp.app_template_global()
def agreement_panel(fair: Fair, application: Application, sponsor: SponsorProfile | None = None) -> Panel:
    """For templates/sponsorship/_agreement_action.html: a sponsor's representative sees its agreements with
    this project and may draft one; the project's representatives see all of the project's agreements."""
    user = current_user
    if not getattr(user, "is_authenticated", False) or application is None:
        return Panel()
    conditions = [Agreement.fair_id == fair.id, Agreement.application_id == application.id,
                  Agreement.status != AgreementStatus.superseded]
    if sponsor is not None and represents_sponsor(user, sponsor):
        conditions.append(Agreement.sponsor_id == sponsor.id)
        may_draft = sponsor.organisation_id != application.organisation_id
    elif represents_project(user, application):
        may_draft = True
    else:
        return Panel()
    found = db.session.scalars(sa.select(Agreement).where(*conditions).options(
        joinedload(Agreement.sponsor).joinedload(SponsorProfile.organisation))
        .order_by(Agreement.number, Agreement.revision)).all()
    draft_url = (url_for("sponsorship.new_agreement", slug=fair.slug, application=application.id)
                 if may_draft and is_placeable(application) else None)
    return Panel(True, draft_url, found)
