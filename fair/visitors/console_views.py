"""The organizer's check-in console: live counters (polled as JSON by static/js/counters.js), the conflict
list of offline scans, check-in points and areas with their rules, and scanning devices (a token shown
once, revocable). Thin: every change goes through fair/visitors/checkins.py."""
from datetime import date

import sqlalchemy as sa
from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import force_locale, gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import (BooleanField, IntegerField, SelectChoice, SelectField, SelectMultipleField, StringField,
                     TimeField)
from wtforms.validators import NumberRange, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from fair import exports
from fair.auth.models import Role
from fair.auth.permissions import fair_role_required
from fair.extensions import db
from fair.forms import at_most, required
from fair.navigation import add_fair_nav
from fair.refusal import Refused
from fair.times import utcnow
from fair.visitors import checkins
from fair.visitors.checkins import REASON_LABELS
from fair.visitors.models import (POINT_KIND_LABELS, POLICY_LABELS, Area, Checkin, CheckinPoint, Device, PointKind,
                                  Policy, Ticket)
from fair.visitors.views import bp

add_fair_nav(61, _l("签到统计"), "visitors.counters", Role.organizer,
             also=("visitors.points", "visitors.point", "visitors.area", "visitors.devices", "visitors.conflicts"))
POSITIVE = _l("请填写正整数，不限请留空。")


class AreaForm(FlaskForm):
    name = StringField(_l("区域名称"), validators=[required(), at_most(60)], description=_l("如 展馆、户外体验区"))
    name_en = StringField(_l("英文名称"), validators=[at_most(80)])
    capacity = IntegerField(_l("容量（人）"), validators=[Optional(), NumberRange(min=1, message=POSITIVE)],
                            description=_l("同时在内的人数上限；满员时入场扫码提示“已满员”。"))
    leaves_area_id = SelectField(_l("进入时离开"), coerce=int, default=0,
                                 description=_l("进入此区域即视为离开所选区域（如进入户外区即离开展馆）。"))


class PointForm(FlaskForm):
    slug = StringField(_l("标识"), validators=[required(), at_most(40), Regexp(
        r"^[a-z0-9-]+$", message=_l("标识只能包含小写字母、数字和连字符，最多 40 个字符。"))],
        description=_l("设备和接口用它指明签到点，如 east-gate"))
    name = StringField(_l("名称"), validators=[required(), at_most(60)])
    name_en = StringField(_l("英文名称"), validators=[at_most(80)])
    kind = SelectField(_l("类型"), choices=[SelectChoice(kind.value, label) for kind, label in POINT_KIND_LABELS.items()])
    policy = SelectField(_l("签到规则"), default=Policy.daily.value,
                         choices=[SelectChoice(policy.value, label) for policy, label in POLICY_LABELS.items()],
                         description=_l("“不限次数”须配合出口扫码：在区域内时不能再次入场。"))
    area_id = SelectField(_l("区域"), coerce=int, default=0,
                          description=_l("入口和活动：进入的区域；出口：离开的区域。"))
    capacity = IntegerField(_l("名额（人）"), validators=[Optional(), NumberRange(min=1, message=POSITIVE)],
                            description=_l("课堂、沙龙和活动的名额：已签到人数达到后提示“已满员”。"))
    opens_at = TimeField(_l("每天开放"), validators=[Optional()])
    closes_at = TimeField(_l("每天关闭"), validators=[Optional()], description=_l("展会所在时区；全天开放请都留空。"))
    needs_registration = BooleanField(_l("须提前预约"))
    offline_allowed = BooleanField(_l("允许离线扫码"), description=_l("场馆入口可开启；有名额限制的活动不宜开启。"))
    active = BooleanField(_l("启用"), default=True)

    def details(self) -> checkins.PointDetails:
        return checkins.PointDetails(
            self.slug.data or "", self.name.data or "", PointKind(self.kind.data), Policy(self.policy.data),
            self.name_en.data or "", self.area_id.data or None, self.capacity.data, self.needs_registration.data,
            self.offline_allowed.data, self.opens_at.data, self.closes_at.data, None, self.active.data)


class DeviceForm(FlaskForm):
    name = StringField(_l("设备名称"), validators=[required(), at_most(60)], description=_l("如 东门1号闸机"))
    point_ids = SelectMultipleField(_l("可签到的签到点"), coerce=int, widget=ListWidget(prefix_label=False),
                                    option_widget=CheckboxInput())


class RevokeForm(FlaskForm):
    """Revoking a device: the CSRF token is all it carries."""


def _show(form: FlaskForm, refusal: Refused) -> None:
    field = getattr(form, refusal.field, None) if refusal.field else None
    if field is not None:
        field.errors = [*field.errors, refusal.message]
    else:
        form.form_errors.append(refusal.message)


def _areas(fair) -> list[Area]:
    return db.session.scalars(sa.select(Area).where(Area.fair_id == fair.id).order_by(Area.name)).all()


def _points(fair) -> list[CheckinPoint]:
    return db.session.scalars(sa.select(CheckinPoint).where(CheckinPoint.fair_id == fair.id)
                              .order_by(CheckinPoint.kind, CheckinPoint.name)).all()


def _area_choices(areas: list[Area], *, leave_out: int | None = None) -> list[SelectChoice]:
    return [SelectChoice(0, _("（无）"))] + [SelectChoice(area.id, area.name) for area in areas if area.id != leave_out]


# --- counters -------------------------------------------------------------------------------------------

@bp.get("/visitors/counters")
@fair_role_required(Role.organizer)
def counters(fair):
    day = checkins.local_day(fair, utcnow())
    return render_template("visitors/counters.html", fair=fair, numbers=checkins.counters(fair, day),
                           reasons=REASON_LABELS, day=day)


@bp.get("/visitors/counters.json")
@fair_role_required(Role.organizer)
def counters_json(fair):
    """What static/js/counters.js polls every few seconds."""
    response = jsonify(checkins.counters(fair, checkins.local_day(fair, utcnow())))
    response.headers["Cache-Control"] = "no-store"
    return response


def _export_day(fair) -> date:
    """The day asked for (YYYY-MM-DD), else today in the fair's timezone, as the counters show."""
    try:
        return date.fromisoformat(request.args.get("day", ""))
    except ValueError:
        return checkins.local_day(fair, utcnow())


@bp.get("/visitors/checkins/export")
@fair_role_required(Role.organizer)
def checkins_export(fair):
    """Every scan of one local day (optionally at one point): time, point, result, people and the ticket's
    holder. Names leave the system here, so the export is audited; plain rows, one query."""
    fmt = exports.requested_format()
    day = _export_day(fair)
    point_id = request.args.get("point", type=int)
    query = (sa.select(Checkin.scanned_at, CheckinPoint.name.label("point"), CheckinPoint.kind, Checkin.reason,
                       Checkin.people, Ticket.code, Ticket.name, Checkin.offline, Device.name.label("device"))
             .join(CheckinPoint, CheckinPoint.id == Checkin.point_id)
             .outerjoin(Ticket, Ticket.id == Checkin.ticket_id).outerjoin(Device, Device.id == Checkin.device_id)
             .where(Checkin.fair_id == fair.id, Checkin.day == day,
                    *([Checkin.point_id == point_id] if point_id else []))
             .order_by(Checkin.scanned_at, Checkin.id))
    with force_locale("zh_Hans"):
        reasons = {reason: str(label) for reason, label in REASON_LABELS.items()}
        kinds = {kind: str(label) for kind, label in POINT_KIND_LABELS.items()}
    table = exports.Table("签到记录", [
        exports.Column("扫码时间", exports.DATETIME), exports.Column("签到点"), exports.Column("类型"),
        exports.Column("结果"), exports.Column("人数", exports.NUMBER), exports.Column("入场码"),
        exports.Column("姓名"), exports.Column("离线"), exports.Column("设备")], timezone=fair.timezone)
    for row in db.session.execute(query.execution_options(yield_per=5_000)):
        table.rows.append([row.scanned_at, row.point, kinds[row.kind], reasons.get(row.reason, row.reason),
                           row.people, row.code, row.name, row.offline, row.device])
    exports.audit_export(current_user, fair, "visitors.checkins.exported", table, fmt)
    return exports.send_table(table, f"{fair.slug}-checkins-{day:%Y%m%d}", fmt)


@bp.get("/visitors/conflicts")
@fair_role_required(Role.organizer)
def conflicts(fair):
    devices = {device.id: device for device in db.session.scalars(sa.select(Device).where(Device.fair_id == fair.id))}
    return render_template("visitors/counters_conflicts.html", fair=fair, rows=checkins.conflicts(fair),
                           devices=devices)


# --- points and areas -----------------------------------------------------------------------------------

@bp.route("/visitors/points", methods=["GET", "POST"])
@fair_role_required(Role.organizer)
def points(fair):
    areas = _areas(fair)
    point_form, area_form = PointForm(prefix="point"), AreaForm(prefix="area")
    point_form.area_id.choices = _area_choices(areas)
    area_form.leaves_area_id.choices = _area_choices(areas)
    status = 200
    if _posted("point") and point_form.validate_on_submit():
        try:
            point = checkins.save_point(fair, point_form.details(), actor=current_user)
            flash(_("已添加签到点“%(name)s”。", name=point.name), "success")
            return redirect(url_for("visitors.points", slug=fair.slug))
        except Refused as refusal:
            _show(point_form, refusal)
    if _posted("area") and area_form.validate_on_submit():
        try:
            area = checkins.save_area(fair, _area_details(area_form), actor=current_user)
            flash(_("已添加区域“%(name)s”。", name=area.name), "success")
            return redirect(url_for("visitors.points", slug=fair.slug))
        except Refused as refusal:
            _show(area_form, refusal)
    if point_form.errors or point_form.form_errors or area_form.errors or area_form.form_errors:
        status = 400
    return render_template("visitors/points.html", fair=fair, points=_points(fair), areas=areas,
                           point_form=point_form, area_form=area_form), status


def _area_details(form: AreaForm) -> checkins.AreaDetails:
    return checkins.AreaDetails(form.name.data or "", form.name_en.data or "", form.capacity.data,
                                form.leaves_area_id.data or None)


@bp.route("/visitors/points/<int:point_id>", methods=["GET", "POST"])
@fair_role_required(Role.organizer)
def point(fair, point_id: int):
    point = db.session.get(CheckinPoint, point_id)
    if point is None or point.fair_id != fair.id:
        abort(404)
    form = PointForm(data=None if _posted() else {
        "slug": point.slug, "name": point.name, "name_en": point.name_en, "kind": point.kind.value,
        "policy": point.policy.value, "area_id": point.area_id or 0, "capacity": point.capacity,
        "opens_at": point.opens_at, "closes_at": point.closes_at, "needs_registration": point.needs_registration,
        "offline_allowed": point.offline_allowed, "active": point.active})
    form.area_id.choices = _area_choices(_areas(fair))
    if form.validate_on_submit():
        details = form.details()
        details.booth_id = point.booth_id
        try:
            checkins.save_point(fair, details, actor=current_user, point=point)
            flash(_("已保存签到点“%(name)s”。", name=point.name), "success")
            return redirect(url_for("visitors.points", slug=fair.slug))
        except Refused as refusal:
            db.session.rollback()
            _show(form, refusal)
    return render_template("visitors/points_edit.html", fair=fair, point=point, form=form), 400 if form.errors or \
        form.form_errors else 200


@bp.route("/visitors/areas/<int:area_id>", methods=["GET", "POST"])
@fair_role_required(Role.organizer)
def area(fair, area_id: int):
    area = db.session.get(Area, area_id)
    if area is None or area.fair_id != fair.id:
        abort(404)
    form = AreaForm(data=None if _posted() else {"name": area.name, "name_en": area.name_en,
                                                 "capacity": area.capacity, "leaves_area_id": area.leaves_area_id or 0})
    form.leaves_area_id.choices = _area_choices(_areas(fair), leave_out=area.id)
    if form.validate_on_submit():
        try:
            checkins.save_area(fair, _area_details(form), actor=current_user, area=area)
            flash(_("已保存区域“%(name)s”。", name=area.name), "success")
            return redirect(url_for("visitors.points", slug=fair.slug))
        except Refused as refusal:
            db.session.rollback()
            _show(form, refusal)
    return render_template("visitors/points_area.html", fair=fair, area=area, form=form), 400 if form.errors or \
        form.form_errors else 200


def _posted(which: str | None = None) -> bool:
    """A POST (of the page's form named `which`: each carries a hidden `form` field with its prefix)."""
    return request.method == "POST" and (which is None or request.form.get("form") == which)


# --- devices --------------------------------------------------------------------------------------------

@bp.route("/visitors/devices", methods=["GET", "POST"])
@fair_role_required(Role.organizer)
def devices(fair):
    points = _points(fair)
    form = DeviceForm()
    form.point_ids.choices = [SelectChoice(point.id, point.name) for point in points]
    token, status = None, 200
    if form.validate_on_submit():
        chosen = [point for point in points if point.id in set(form.point_ids.data or [])]
        try:
            _device, token = checkins.issue_device(fair, form.name.data, chosen, actor=current_user)
            form = DeviceForm(formdata=None)
            form.point_ids.choices = [SelectChoice(point.id, point.name) for point in points]
        except Refused as refusal:
            _show(form, refusal)
            status = 400
    elif form.errors:
        status = 400
    rows = db.session.scalars(sa.select(Device).where(Device.fair_id == fair.id)
                              .order_by(Device.revoked_at.isnot(None), Device.created_at.desc())).all()
    names = {point.id: point.name for point in points}
    # The token is in this response only (never in a redirect, a flash or the log): shown once.
    return render_template("visitors/devices.html", fair=fair, form=form, devices=rows, names=names, token=token,
                           revoke_form=RevokeForm()), status


@bp.post("/visitors/devices/<int:device_id>/revoke")
@fair_role_required(Role.organizer)
def revoke_device(fair, device_id: int):
    device = db.session.get(Device, device_id)
    if device is None or device.fair_id != fair.id:
        abort(404)
    if RevokeForm().validate_on_submit():
        checkins.revoke_device(device, actor=current_user)
        flash(_("已撤销设备“%(name)s”的令牌。", name=device.name), "success")
    return redirect(url_for("visitors.devices", slug=fair.slug))

