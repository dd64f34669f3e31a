"""The organizer's shortlist page: size and quotas, the proposal, overrides, publishing, replacements."""
from typing import NamedTuple

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import force_locale, get_locale, gettext as _, lazy_gettext as _l, ngettext
from flask_login import current_user

from fair import exports
from fair.applications.models import Application, Placement, QuotaDimension, ShortlistEntry
from fair.auth.models import Role
from fair.auth.permissions import fair_role_required
from fair.extensions import db
from fair.forms import show_refusal
from fair.navigation import add_fair_nav
from fair.refusal import Refused
from fair.shortlist import queries, services
from fair.shortlist.forms import (PLACEMENT_LABELS, OverrideForm, ProposeForm, PublishForm, ReplaceForm,
                                  SettingsForm)

bp = Blueprint("shortlist", __name__, url_prefix="/fairs/<slug>/shortlist")

add_fair_nav(30, _l("入围名单"), "shortlist.index", Role.organizer)
PER_PAGE = 100
TAB_LABELS = {"all": _l("全部"), "shortlist": _l("入围"), "waitlist": _l("候补"), "out": _l("不入围"),
              "unreviewed": _l("未完成初审"), "overridden": _l("人工调整")}


class OverrideError(NamedTuple):
    """A refused override, shown in its row with what was typed."""

    entry_id: int
    message: str
    placement: str
    reason: str


def _settings_form(fair, rows_by_dimension) -> SettingsForm:
    """The saved settings, never the request's (a refused proposal or override re-renders the page)."""
    return SettingsForm(formdata=None, data={
        "size": fair.shortlist_size,
        "categories": [_row_data(row) for row in rows_by_dimension["category"]],
        "cities": [_row_data(row) for row in rows_by_dimension["city"]],
    })


def _row_data(row: queries.GroupRow) -> dict:
    return {"key": row.key, "minimum": row.minimum or None, "maximum": row.maximum}      # no minimum: blank


def _render(fair, *, status: int = 200, settings_form=None, conflicts=None, override_error=None):
    """The whole page; a refused post comes back here with its error in place."""
    published_at = queries.published_at(fair)
    fair_quotas = queries.quotas(fair)
    rows = {dimension.value: queries.group_rows(fair, dimension, str(get_locale()),
                                                published=published_at is not None, fair_quotas=fair_quotas)
            for dimension in QuotaDimension}
    tab = _tab()
    page = queries.entries(fair, tab, request.args.get("page", 1, type=int), PER_PAGE)
    application_ids = [entry.application_id for entry in page.items]
    return render_template(
        "shortlist/index.html", fair=fair, published_at=published_at, rows=rows, counts=queries.counts(fair),
        settings_form=settings_form or _settings_form(fair, rows), propose_form=ProposeForm(),
        publish_form=PublishForm(), replace_form=ReplaceForm(),
        page=page, tab=tab, tabs=TAB_LABELS, placements=PLACEMENT_LABELS,
        ranks=queries.ranks(fair, [entry.id for entry in page.items]),
        raw_means=queries.raw_means(fair, application_ids),
        withdrawn=queries.withdrawn_shortlisted(fair) if published_at else [],
        conflicts=conflicts, override_error=override_error,
        default_waitlist=services.default_waitlist_size(fair.shortlist_size or 0)), status


@bp.get("")
@fair_role_required(Role.organizer)
def index(fair):
    return _render(fair)


EVERY_ENTRY = 2**31 - 1         # the export reads the page's own query as one page holding every entry


def _tab() -> str:
    tab = request.args.get("tab", "all")
    return tab if tab in queries.TABS else "all"


@bp.get("/export")
@fair_role_required(Role.organizer)
def export(fair):
    """Every entry of the tab shown, in the page's order, with what its rows show."""
    fmt = exports.requested_format()
    entries = queries.entries(fair, _tab(), 1, EVERY_ENTRY).items
    ranks = queries.ranks(fair, [entry.id for entry in entries])
    raw_means = queries.raw_means(fair, [entry.application_id for entry in entries])
    with force_locale("zh_Hans"):
        placements = {placement: str(label) for placement, label in PLACEMENT_LABELS.items()}
    table = exports.Table("入围名单", [
        exports.Column("排名", exports.NUMBER), exports.Column("编号", exports.NUMBER), exports.Column("项目名称"),
        exports.Column("申报单位"), exports.Column("服务领域"), exports.Column("城市"),
        exports.Column("校正分", exports.NUMBER), exports.Column("平均分", exports.NUMBER),
        exports.Column("评审数", exports.NUMBER), exports.Column("结果"), exports.Column("候补位次", exports.NUMBER),
        exports.Column("原建议"), exports.Column("调整理由")], timezone=fair.timezone)
    for entry in entries:
        application = entry.application
        mean, reviews = raw_means.get(application.id, (None, 0))
        table.rows.append([
            ranks.get(entry.id), application.id, application.title, application.organisation.name,
            application.category.name, application.city, _rounded(entry.score), _rounded(mean), reviews,
            placements[entry.placement], entry.waitlist_rank,
            placements[entry.proposed] if entry.override else None, entry.override_reason or None])
    return exports.send_table(table, f"{fair.slug}-shortlist", fmt)


def _rounded(score: float | None) -> float | None:
    return None if score is None else round(score, 2)


def _settings(rows_form) -> list[services.QuotaSetting]:
    return [services.QuotaSetting(dimension, row.key.data or "", row.minimum.data, row.maximum.data)
            for dimension, entries in ((QuotaDimension.category, rows_form.categories),
                                       (QuotaDimension.city, rows_form.cities))
            for row in entries]


def _show_quota_refusal(form: SettingsForm, refusal: Refused) -> None:
    """A quota's refusal names `<dimension>-<key>`: put it under that row's maximum."""
    for dimension, entries in ((QuotaDimension.category, form.categories), (QuotaDimension.city, form.cities)):
        for row in entries:
            if refusal.field == f"{dimension.value}-{row.key.data}":
                row.maximum.errors = [*row.maximum.errors, refusal.message]
                return
    show_refusal(form, refusal)


@bp.post("/settings")
@fair_role_required(Role.organizer)
def settings(fair):
    form = SettingsForm()
    if form.validate_on_submit():
        try:
            services.save_settings(fair, size=form.size.data, quotas=_settings(form), actor=current_user)
        except Refused as refusal:
            _show_quota_refusal(form, refusal)
        else:
            flash(_("名额设置已保存。"), "success")
            return redirect(url_for("shortlist.index", slug=fair.slug))
    return _render(fair, status=400, settings_form=form)


@bp.post("/propose")
@fair_role_required(Role.organizer)
def propose(fair):
    form = ProposeForm()
    if not form.validate_on_submit():
        flash(" ".join(str(error) for error in form.waitlist_size.errors), "danger")
        return redirect(url_for("shortlist.index", slug=fair.slug))
    try:
        proposal = services.propose(fair, actor=current_user, waitlist_size=form.waitlist_size.data)
    except services.QuotaConflict as conflict:
        return _render(fair, status=409, conflicts=conflict.reasons)
    except Refused as refusal:
        flash(refusal.message, "danger")
        return redirect(url_for("shortlist.index", slug=fair.slug))
    flash(_("已生成建议名单：入围 %(shortlisted)d 个，候补 %(waitlisted)d 个。", shortlisted=proposal.shortlisted,
            waitlisted=proposal.waitlisted), "success")
    if proposal.unreviewed:
        flash(ngettext("另有 %(num)d 个项目未完成初审，不参与遴选。", "另有 %(num)d 个项目未完成初审，不参与遴选。",
                       proposal.unreviewed), "warning")
    if proposal.components > 1:
        flash(_("初审专家分成了 %(n)d 组互不交叉的评审，组与组之间的评分宽严无法校正。", n=proposal.components), "warning")
    return redirect(url_for("shortlist.index", slug=fair.slug))


@bp.post("/entries/<int:entry_id>")
@fair_role_required(Role.organizer)
def override(fair, entry_id: int):
    entry = db.first_or_404(sa.select(ShortlistEntry).where(ShortlistEntry.id == entry_id,
                                                            ShortlistEntry.fair_id == fair.id))
    form = OverrideForm()
    try:
        if not form.validate_on_submit():
            raise Refused(" ".join(str(e) for e in form.reason.errors or form.placement.errors), "invalid", "reason")
        services.override_entry(entry, Placement(form.placement.data), reason=form.reason.data, actor=current_user)
    except Refused as refusal:
        return _render(fair, status=400, override_error=OverrideError(entry.id, refusal.message, form.placement.data,
                                                                      form.reason.data or ""))
    flash(_("已调整“%(title)s”。", title=entry.application.title), "success")
    return redirect(url_for("shortlist.index", slug=fair.slug, tab=request.args.get("tab", "all"),
                            page=request.args.get("page", 1, type=int)))


@bp.post("/publish")
@fair_role_required(Role.organizer)
def publish(fair):
    form = PublishForm()
    if not form.validate_on_submit():
        flash(_("请先勾选确认。"), "danger")
        return redirect(url_for("shortlist.index", slug=fair.slug))
    try:
        tally = services.publish(fair, actor=current_user)
    except Refused as refusal:
        flash(refusal.message, "danger")
        return redirect(url_for("shortlist.index", slug=fair.slug))
    flash(_("结果已发布：入围 %(shortlisted)d 个，候补 %(waitlisted)d 个，未入围 %(rejected)d 个；已通知各申报单位。",
            shortlisted=tally.get("shortlisted", 0), waitlisted=tally.get("waitlisted", 0),
            rejected=tally.get("rejected", 0)), "success")
    return redirect(url_for("shortlist.index", slug=fair.slug))


@bp.post("/replace/<int:application_id>")
@fair_role_required(Role.organizer)
def replace(fair, application_id: int):
    withdrawn = db.first_or_404(sa.select(Application).where(Application.id == application_id,
                                                             Application.fair_id == fair.id))
    if not ReplaceForm().validate_on_submit():
        abort(400)
    try:
        promotion = services.replace_from_waitlist(withdrawn, actor=current_user)
    except Refused as refusal:
        flash(refusal.message, "danger")
    else:
        flash(_("“%(title)s”已由候补递补入围，并已通知该单位。", title=promotion.application.title), "success")
        if promotion.unmet:
            flash(_("候补名单中没有能满足全部名额要求的项目，以下要求暂未满足：%(unmet)s",
                    unmet="；".join(promotion.unmet)), "warning")
    return redirect(url_for("shortlist.index", slug=fair.slug))
