"""The funding ledger (organizer) with its CSV export; an agreement's payments (the organizer and the
representatives of both parties see them, the organizer and the sponsor's record them, the organizer
removes one); the signing wall for the venue screen, polled as JSON (public once the fair's plan is, before
that organizers only); and caring units with their certificates and public verification page.
Thin: parse the form, check who may, call sponsorship.ledger or sponsorship.caring_units, render."""
import io
from functools import wraps

import sqlalchemy as sa
from flask import abort, current_app, flash, g, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Optional
from wtforms.widgets import HiddenInput

from fair import exports
from fair.applications.forms import YuanField
from fair.auth.models import Organisation, Role, User
from fair.auth.permissions import deny, fair_role_required
from fair.booths.queries import plan_is_public
from fair.extensions import db, limiter, login_manager
from fair.fairs.models import Fair
from fair.forms import at_most, required, show_refusal
from fair.navigation import add_fair_nav
from fair.refusal import Refused
from fair.templating import localtime, yuan
from fair.times import to_local, utcnow
from sponsorship import caring_units as units, ledger
from sponsorship.access import is_organizer, represents_project, represents_sponsor
from sponsorship.models import Agreement, CaringUnit, Payment
from sponsorship.views import bp

add_fair_nav(68, _l("资金台账"), "sponsorship.ledger", Role.organizer,
             also=("sponsorship.ledger_agreement", "sponsorship.ledger_record_payment", "sponsorship.ledger_remove_payment"))
add_fair_nav(69, _l("爱心单位"), "sponsorship.caring_units", Role.organizer,
             also=("sponsorship.caring_unit_designate", "sponsorship.caring_unit_remove", "sponsorship.caring_unit_verify"))
PER_PAGE = 50
MAX_QUERY = 100
WALL_LATEST = 8
WALL_EVERY_MS = 5000


# --- forms -------------------------------------------------------------------------------------------------

class PaymentForm(FlaskForm):
    """`version`: the agreement as the page showed it, so a payment recorded meanwhile is not missed."""

    amount = YuanField(_l("金额（元）"), validators=[InputRequired(message=_l("此项为必填项。"))],
                       render_kw={"inputmode": "decimal"})
    paid_on = DateField(_l("付款日期"), validators=[DataRequired(message=_l("请填写有效的日期。"))])
    reference = StringField(_l("凭证号"), validators=[at_most(ledger.REFERENCE_LENGTH)],
                            description=_l("银行转账流水号或收据号，便于核对。"))
    version = IntegerField(widget=HiddenInput(), validators=[Optional()])


class RemovePaymentForm(FlaskForm):
    reason = TextAreaField(_l("删除理由"), validators=[required(), at_most(ledger.REASON_LENGTH)])
    version = IntegerField(widget=HiddenInput(), validators=[Optional()])


class CaringUnitForm(FlaskForm):
    organisation = SelectField(_l("支持方单位"), coerce=int, validate_choice=False)
    citation = TextAreaField(_l("表彰词"), validators=[required(), at_most(units.CITATION_LENGTH)],
                             description=_l("印在证书上：单位名称之后，“爱心单位”称号之前。"))


class RemoveUnitForm(FlaskForm):
    reason = TextAreaField(_l("取消理由"), validators=[required(), at_most(units.REASON_LENGTH)])


# --- the ledger --------------------------------------------------------------------------------------------

def _list_args() -> tuple[str, str]:
    show = request.args.get("show", "all")
    return (show if show in ledger.FILTERS else "all"), " ".join(request.args.get("q", "").split())[:MAX_QUERY]


@bp.get("/ledger", endpoint="ledger")
@fair_role_required(Role.organizer)
def ledger_page(fair):
    show, words = _list_args()
    page = db.paginate(ledger.agreements_query(fair, show=show, words=words),
                       page=request.args.get("page", 1, type=int), per_page=PER_PAGE, error_out=False)
    paid = ledger.paid_by_number(fair, {agreement.number for agreement in page.items})
    return render_template("sponsorship/ledger.html", fair=fair, totals=ledger.totals(fair), page=page, paid=paid,
                           show=show, words=words)


@bp.get("/ledger/export")
@fair_role_required(Role.organizer)
def ledger_export(fair):
    """The ledger as filtered on the page, as CSV or Excel."""
    fmt = exports.requested_format()
    show, words = _list_args()
    return exports.send_table(ledger.export_table(fair, show=show, words=words), f"{fair.slug}-ledger", fmt)


@bp.get("/ledger.csv")
@fair_role_required(Role.organizer)
def ledger_csv(fair):
    show, words = _list_args()
    content = ledger.export_csv(fair, show=show, words=words)
    return send_file(io.BytesIO(content), mimetype="text/csv", as_attachment=True,
                     download_name=f"{fair.slug}-ledger.csv", max_age=0)


def _agreement_for(fair: Fair, agreement_id: int) -> Agreement:
    """Another fair's agreement is a 404; one the user has no part in, a 403 that says so."""
    agreement = db.first_or_404(sa.select(Agreement).where(Agreement.id == agreement_id, Agreement.fair_id == fair.id))
    if not (is_organizer(current_user, fair) or represents_sponsor(current_user, agreement.sponsor)
            or represents_project(current_user, agreement.application)):
        deny(_("只有组织方和协议双方的代表可以查看这份协议的付款。"))
    return agreement


def _removal_prefix(payment_id: int) -> str:
    """Each payment's removal form has its own field names, so ids stay unique and errors land on the right one."""
    return f"payment-{payment_id}"


def _agreement_page(fair: Fair, agreement: Agreement, *, status: int = 200, payment_form: PaymentForm | None = None,
                    remove_form: RemovePaymentForm | None = None, removing: int | None = None):
    signed = ledger.signed_version(agreement)
    payments = ledger.series_payments(agreement)
    recorder_ids = {payment.recorded_by_id for payment in payments if payment.recorded_by_id}
    recorders = {user.id: user for user in db.session.scalars(sa.select(User).where(User.id.in_(recorder_ids)))} \
        if recorder_ids else {}
    version = signed.version if signed else None
    if payment_form is None:
        payment_form = PaymentForm(formdata=None, data={"paid_on": to_local(utcnow(), fair.timezone).date()})
    _show_version(payment_form, version)
    remove_forms = {payment.id: remove_form if payment.id == removing and remove_form is not None
                    else RemovePaymentForm(formdata=None, prefix=_removal_prefix(payment.id)) for payment in payments}
    for form in remove_forms.values():
        _show_version(form, version)
    return render_template(
        "sponsorship/ledger_agreement.html", fair=fair, agreement=agreement, signed=signed, payments=payments,
        paid=sum(payment.amount_fen for payment in payments), recorders=recorders, payment_form=payment_form,
        remove_forms=remove_forms, removing=removing, is_organizer=is_organizer(current_user, fair),
        may_record=signed is not None and ledger.may_record_payment(current_user, signed)), status


def _show_version(form: FlaskForm, version: int | None) -> None:
    """The page always shows the agreement as it is now, so its forms carry the current version."""
    form.version.data, form.version.raw_data = version, [str(version) if version is not None else ""]


@bp.get("/ledger/<int:agreement_id>")
@fair_role_required(Role.organizer, Role.sponsor, Role.exhibitor)
def ledger_agreement(fair, agreement_id: int):
    return _agreement_page(fair, _agreement_for(fair, agreement_id))


@bp.post("/ledger/<int:agreement_id>/payments")
@fair_role_required(Role.organizer, Role.sponsor)
def ledger_record_payment(fair, agreement_id: int):
    agreement = _agreement_for(fair, agreement_id)
    signed = ledger.signed_version(agreement)
    form = PaymentForm()
    if form.validate_on_submit():
        try:
            payment = ledger.record_payment(signed or agreement, form.amount.data, form.paid_on.data,
                                            form.reference.data or "", current_user, version=form.version.data)
        except Refused as refusal:
            show_refusal(form, refusal)
            return _agreement_page(fair, agreement, status=409 if refusal.field is None else 400, payment_form=form)
        flash(_("已登记一笔 %(amount)s 的付款。", amount=yuan(payment.amount_fen)), "success")
        return redirect(url_for("sponsorship.ledger_agreement", slug=fair.slug, agreement_id=agreement.id))
    return _agreement_page(fair, agreement, status=400, payment_form=form)


@bp.post("/ledger/payments/<int:payment_id>/remove")
@fair_role_required(Role.organizer)
def ledger_remove_payment(fair, payment_id: int):
    payment = db.first_or_404(sa.select(Payment).join(Agreement, Agreement.id == Payment.agreement_id)
                              .where(Payment.id == payment_id, Agreement.fair_id == fair.id))
    agreement = payment.agreement
    form = RemovePaymentForm(prefix=_removal_prefix(payment_id))
    if form.validate_on_submit():
        amount = payment.amount_fen
        try:
            ledger.remove_payment(payment, form.reason.data, current_user, version=form.version.data)
        except Refused as refusal:
            show_refusal(form, refusal)
            return _agreement_page(fair, agreement, status=409 if refusal.field is None else 400,
                                   remove_form=form, removing=payment_id)
        flash(_("已删除一笔 %(amount)s 的付款记录。", amount=yuan(amount)), "success")
        return redirect(url_for("sponsorship.ledger_agreement", slug=fair.slug, agreement_id=agreement.id))
    return _agreement_page(fair, agreement, status=400, remove_form=form, removing=payment_id)


# --- the signing wall --------------------------------------------------------------------------------------

def wall_access(view):
    """Public once the fair's plan is public; before that organizers only (anonymous → the log-in page)."""
    @wraps(view)
    def wrapped(slug: str):
        fair = db.first_or_404(sa.select(Fair).where(Fair.slug == slug))
        g.fair = fair                         # times in the fair's timezone
        if not plan_is_public(fair):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not is_organizer(current_user, fair):
                deny(_("展会平面图公开之前，签约墙仅限组织方查看。"))
        return view(fair)
    return wrapped


def _wall_numbers(fair: Fair) -> dict:
    """What the wall shows, for the page and for its polling alike; public names and figures only."""
    totals = ledger.totals(fair, breakdowns=False)
    today = to_local(utcnow(), fair.timezone).date()

    def when(moment) -> str:
        local = to_local(moment, fair.timezone)
        return localtime(moment, "HH:mm", fair.timezone) if local.date() == today \
            else localtime(moment, "MM-dd HH:mm", fair.timezone)

    def given(signing: ledger.Signing) -> str:
        if signing.amount_fen:
            return yuan(signing.amount_fen)
        return _("物资等折价 %(value)s", value=yuan(signing.in_kind_fen))

    return {"signed": yuan(totals.signed_fen), "signed_fen": totals.signed_fen, "in_kind": yuan(totals.in_kind_fen),
            "in_kind_fen": totals.in_kind_fen,
            "projects": totals.projects_funded, "agreements": totals.signed_count, "sponsors": totals.sponsors_signed,
            "latest": [{"id": signing.agreement_id, "sponsor": signing.sponsor, "project": signing.project,
                        "amount": given(signing), "at": when(signing.signed_at)}
                       for signing in ledger.latest_signings(fair, WALL_LATEST)]}


@bp.get("/wall")
@wall_access
def signing_wall(fair):
    return render_template("sponsorship/signing_wall.html", fair=fair, numbers=_wall_numbers(fair),
                           every=WALL_EVERY_MS)


@bp.get("/wall.json")
@wall_access
def signing_wall_data(fair):
    """What static/js/signing_wall.js polls every few seconds."""
    response = jsonify(_wall_numbers(fair))
    response.headers["Cache-Control"] = "no-store"
    return response


# --- caring units ------------------------------------------------------------------------------------------

def _unit_form(fair: Fair, formdata=None) -> CaringUnitForm:
    signed = units.signed_by_organisation(fair)
    form = CaringUnitForm(formdata=formdata)
    if formdata is None:
        form.citation.data = units.DEFAULT_CITATION
    choices = sorted(units.candidates(fair), key=lambda candidate: (-signed.get(candidate.id, 0), candidate.name))
    form.organisation.choices = [SelectChoice(0, _("请选择"))] + [
        SelectChoice(organisation.id, _("%(name)s（已签约 %(amount)s）", name=organisation.name,
                                        amount=yuan(signed[organisation.id])) if organisation.id in signed
                     else organisation.name) for organisation in choices]
    return form


def _units_page(fair: Fair, *, status: int = 200, unit_form: CaringUnitForm | None = None,
                remove_form: RemoveUnitForm | None = None, removing: int | None = None):
    listed = units.caring_units_of(fair)
    remove_forms = {unit.id: remove_form if unit.id == removing and remove_form is not None
                    else RemoveUnitForm(formdata=None, prefix=f"unit-{unit.id}") for unit in listed}
    return render_template(
        "sponsorship/caring_units.html", fair=fair, caring_units=listed, signed=units.signed_by_organisation(fair),
        unit_form=unit_form or _unit_form(fair), remove_forms=remove_forms, removing=removing), status


@bp.get("/caring-units")
@fair_role_required(Role.organizer)
def caring_units(fair):
    return _units_page(fair)


@bp.post("/caring-units")
@fair_role_required(Role.organizer)
def caring_unit_designate(fair):
    form = _unit_form(fair, formdata=request.form)
    if form.validate_on_submit():
        organisation = db.session.get(Organisation, form.organisation.data) if form.organisation.data else None
        try:
            unit = units.designate_caring_unit(fair, organisation, form.citation.data, current_user)
        except Refused as refusal:
            show_refusal(form, refusal)
        else:
            flash(_("已将“%(name)s”列为爱心单位。", name=unit.organisation.name), "success")
            return redirect(url_for("sponsorship.caring_units", slug=fair.slug))
    return _units_page(fair, status=400, unit_form=form)


def _unit_of(fair: Fair, unit_id: int) -> CaringUnit:
    return db.first_or_404(sa.select(CaringUnit).where(CaringUnit.id == unit_id, CaringUnit.fair_id == fair.id))


@bp.post("/caring-units/<int:unit_id>/remove")
@fair_role_required(Role.organizer)
def caring_unit_remove(fair, unit_id: int):
    unit = _unit_of(fair, unit_id)
    form = RemoveUnitForm(prefix=f"unit-{unit_id}")
    if form.validate_on_submit():
        name = unit.organisation.name
        try:
            units.remove_caring_unit(unit, form.reason.data, current_user)
        except Refused as refusal:
            show_refusal(form, refusal)
        else:
            flash(_("已取消“%(name)s”的爱心单位称号。", name=name), "success")
            return redirect(url_for("sponsorship.caring_units", slug=fair.slug))
    return _units_page(fair, status=400, remove_form=form, removing=unit_id)


def _certificate(fair: Fair, unit: CaringUnit) -> units.CaringCertificate:
    day = to_local(unit.created_at, fair.timezone).date()
    return units.CaringCertificate(
        fair.name, unit.organisation.name, unit.citation, f"{day.year}年{day.month}月{day.day}日", unit.certificate_code,
        url_for("sponsorship.caring_unit_verify", slug=fair.slug, code=unit.certificate_code, _external=True))


def _certificates_pdf(fair: Fair, chosen: list[CaringUnit], filename: str):
    content = units.render_caring_certificates([_certificate(fair, unit) for unit in chosen],
                                               title=_("%(fair)s 爱心单位证书", fair=fair.name),
                                               font_setting=current_app.config.get("FAIR_PDF_FONT"))
    return send_file(io.BytesIO(content), mimetype="application/pdf", as_attachment=True, download_name=filename,
                     max_age=0)


@bp.get("/caring-units/certificates.pdf")
@fair_role_required(Role.organizer)
def caring_unit_certificates(fair):
    """Every caring unit's certificate, in the order they were designated, for printing."""
    chosen = units.caring_units_of(fair)
    if not chosen:
        abort(404, description=_("还没有爱心单位。"))
    return _certificates_pdf(fair, chosen, f"caring-units-{fair.slug}.pdf")


@bp.get("/caring-units/<int:unit_id>/certificate.pdf")
@fair_role_required(Role.organizer)
def caring_unit_certificate(fair, unit_id: int):
    return _certificates_pdf(fair, [_unit_of(fair, unit_id)], f"caring-unit-{fair.slug}-{unit_id}.pdf")


@bp.get("/caring-units/<code>")
@limiter.limit("60 per minute")
def caring_unit_verify(slug: str, code: str):
    """Public: genuine (what the certificate says) or a 404 that says it is not. A removed unit's
    certificate no longer verifies."""
    fair = db.first_or_404(sa.select(Fair).where(Fair.slug == slug))
    g.fair = fair
    unit = None
    if 20 <= len(code) <= 64:
        unit = db.session.scalar(sa.select(CaringUnit).where(CaringUnit.certificate_code == code,
                                                             CaringUnit.fair_id == fair.id))
    if unit is None:
        return render_template("sponsorship/caring_unit_verify.html", fair=fair, unit=None), 404
    return render_template("sponsorship/caring_unit_verify.html", fair=fair, unit=unit,
                           certificate=_certificate(fair, unit))
