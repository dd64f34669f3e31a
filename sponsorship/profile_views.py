"""Sponsors' pages: the sponsor's own profile and bookmarks; the organizer's list of sponsors (filters, CSV,
adding a sponsor) and a sponsor's page, which exhibitors see too, without contact data. Thin: parse the
form, call sponsorship.profiles, show a refusal next to its field."""
from dataclasses import dataclass

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext as _, lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import contains_eager

from fair import exports
from fair.applications.models import SUPPORT_LABELS, Application
from fair.audit.log import audit
from fair.auth.models import Invitation, Membership, Organisation, OrganisationKind, Role, User
from fair.auth.permissions import fair_role_required
from fair.booths.placing import is_placeable
from fair.extensions import db
from fair.forms import safe_next, show_refusal
from fair.navigation import add_fair_nav
from fair.refusal import Refused
from sponsorship import profiles
from sponsorship.access import sponsor_of
from sponsorship.models import (LIVE_MEETING, Agreement, AgreementStatus, Bookmark, Meeting, MeetingStatus,
                                SponsorProfile)
from sponsorship.profile_forms import AddSponsorForm, BookmarkForm, NoteForm, ProfileForm
from sponsorship.views import bp

add_fair_nav(61, _l("支持方名录"), "sponsorship.sponsors", Role.organizer, also=("sponsorship.sponsor",))
add_fair_nav(62, _l("我的资料"), "sponsorship.profile", Role.sponsor)
add_fair_nav(62, _l("收藏的项目"), "sponsorship.bookmarks", Role.sponsor)   # after the profile: the sort is stable


def _locale() -> str:
    return str(get_locale() or "zh")


@bp.app_context_processor
def bookmark_helpers():
    """`sponsor_bookmark(sponsor, application)` for _bookmark_action.html: called only where it is shown."""
    return {"sponsor_bookmark": profiles.bookmark_of}


# --- the sponsor's profile -----------------------------------------------------------------------------

def _profile_form(fair, organisation, saved: SponsorProfile | None = None, *, posted: bool = False) -> ProfileForm:
    """The posted form, or one filled from the saved profile (a new one starts with the user's name and the
    organisation's phone as the contact)."""
    options = {"categories": fair.categories, "cities": profiles.region_choices(fair),
               "province": profiles.fair_province(fair), "locale": _locale()}
    if posted:
        return ProfileForm(**options)
    if saved is None:
        data = {"version": 0, "contact_name": current_user.name, "contact_phone": organisation.contact_phone}
    else:
        data = {"version": saved.version, "introduction": saved.introduction,
                "focus_category_ids": saved.focus_category_ids, "regions": saved.regions,
                "budget_min": saved.budget_min_fen, "budget_max": saved.budget_max_fen,
                "support_offered": saved.support_offered, "wants": saved.wants, "contact_name": saved.contact_name,
                "contact_phone": saved.contact_phone}
    return ProfileForm(formdata=None, data=data, **options)


def _details(form: ProfileForm) -> profiles.ProfileDetails:
    return profiles.ProfileDetails(
        introduction=form.introduction.data or "", focus_category_ids=form.focus_category_ids.data or [],
        regions=form.regions.data or [], budget_min_fen=form.budget_min.data or 0,
        budget_max_fen=form.budget_max.data or 0, support_offered=form.support_offered.data or [],
        wants=form.wants.data or "", contact_name=form.contact_name.data or "",
        contact_phone=form.contact_phone.data or "")


def _profile_page(fair, organisation, saved, form, *, status=200, latest=None):
    return render_template(
        "sponsorship/profile.html", fair=fair, organisation=organisation, saved=saved, form=form, latest=latest,
        representatives=profiles.representatives(fair, organisation),
        bookmarks=_bookmark_count(saved),
        categories={c.id: c for c in fair.categories}, supports=SUPPORT_LABELS), status


def _bookmark_count(sponsor: SponsorProfile | None) -> int:
    if sponsor is None:
        return 0
    return db.session.scalar(sa.select(sa.func.count(Bookmark.id)).where(Bookmark.sponsor_id == sponsor.id))


def _unlinked(fair, status=200):
    """A sponsor user whose account names no sponsoring organisation: say so, and whom to ask."""
    organisation = current_user.organisation
    return render_template("sponsorship/profile_unlinked.html", fair=fair, organisation=organisation,
                           organizers=fair.members(Role.organizer)), status


@bp.route("/profile", methods=["GET", "POST"])
@fair_role_required(Role.sponsor)
def profile(fair):
    organisation = current_user.organisation
    if not profiles.is_sponsor_kind(organisation):
        return _unlinked(fair, 200 if request.method == "GET" else 403)
    saved = profiles.profile_of(fair, organisation)
    if request.method == "GET":
        return _profile_page(fair, organisation, saved, _profile_form(fair, organisation, saved))
    form = _profile_form(fair, organisation, posted=True)
    if form.validate_on_submit():
        try:
            saved = profiles.save_profile(fair, organisation, _details(form), current_user,
                                          version=form.version.data or 0)
        except Refused as refusal:
            if refusal.code == "stale":
                return _stale_page(fair, organisation, form, refusal)
            show_refusal(form, refusal)
        else:
            flash(_("支持方资料已保存。"), "success")
            return redirect(url_for("sponsorship.profile", slug=fair.slug))
    return _profile_page(fair, organisation, saved, form, status=400)


def _stale_page(fair, organisation, form: ProfileForm, refusal: Refused):
    """Someone saved meanwhile: the user's input stays, the latest saved profile is shown beside it, and the
    form now carries that version, so saving again (having seen it) is a deliberate overwrite."""
    latest = profiles.profile_of(fair, organisation)
    current = latest.version if latest else 0
    form.version.data, form.version.raw_data = current, [str(current)]
    flash(refusal.message, "warning")
    return _profile_page(fair, organisation, latest, form, status=409, latest=latest)


# --- the organizer's list ------------------------------------------------------------------------------

@dataclass(frozen=True)
class SponsorRow:
    profile: SponsorProfile
    representatives: int
    invited: int               # invitations not yet accepted
    bookmarks: int
    meetings: int              # requested, accepted or held
    signed: int                # agreements both sides signed
    signed_fen: int


@dataclass(frozen=True)
class Filters:
    kind: OrganisationKind | None = None
    focus: int | None = None

    @classmethod
    def from_args(cls, fair, args) -> "Filters":
        kind = next((k for k in profiles.SPONSOR_KINDS if k.value == args.get("kind")), None)
        focus = args.get("focus", type=int)
        return cls(kind, focus if focus in {c.id for c in fair.categories} else None)

    def args(self) -> dict:
        return {"kind": self.kind.value if self.kind else None, "focus": self.focus}


def _by_key(statement) -> dict:
    """A grouped aggregate as {key: value} (or {key: (values…)} for several)."""
    return {key: values[0] if len(values) == 1 else tuple(values)
            for key, *values in db.session.execute(statement).all()}


def _fair_counts(fair) -> dict[str, dict]:
    """Each count over the whole fair in one grouped query, whatever the number of sponsors."""
    fair_sponsors = sa.select(SponsorProfile.id).where(SponsorProfile.fair_id == fair.id)
    live = [MeetingStatus(status) for status in LIVE_MEETING]
    return {
        "representatives": _by_key(
            sa.select(User.organisation_id, sa.func.count(User.id)).join(Membership, Membership.user_id == User.id)
            .where(Membership.fair_id == fair.id, Membership.role == Role.sponsor,
                   User.organisation_id.is_not(None)).group_by(User.organisation_id)),
        "invited": _by_key(
            sa.select(Invitation.organisation_id, sa.func.count(Invitation.id))
            .where(Invitation.fair_id == fair.id, Invitation.role == Role.sponsor, Invitation.used_at.is_(None),
                   Invitation.revoked_at.is_(None), Invitation.organisation_id.is_not(None))
            .group_by(Invitation.organisation_id)),
        "bookmarks": _by_key(sa.select(Bookmark.sponsor_id, sa.func.count(Bookmark.id))
                             .where(Bookmark.sponsor_id.in_(fair_sponsors)).group_by(Bookmark.sponsor_id)),
        "meetings": _by_key(sa.select(Meeting.sponsor_id, sa.func.count(Meeting.id))
                            .where(Meeting.fair_id == fair.id, Meeting.status.in_(live)).group_by(Meeting.sponsor_id)),
        "signed": _by_key(sa.select(Agreement.sponsor_id, sa.func.count(Agreement.id),
                                    sa.func.sum(Agreement.amount_fen))
                          .where(Agreement.fair_id == fair.id, Agreement.status == AgreementStatus.signed)
                          .group_by(Agreement.sponsor_id)),
    }


def sponsor_rows(fair, filters: Filters = Filters(), sponsor_id: int | None = None) -> list[SponsorRow]:
    """The fair's sponsors with their counts, in six queries whatever their number: the profiles, then
    one grouped aggregate each for representatives, invitations, bookmarks, meetings and agreements."""
    statement = (sa.select(SponsorProfile).join(SponsorProfile.organisation)
                 .options(contains_eager(SponsorProfile.organisation))
                 .where(SponsorProfile.fair_id == fair.id).order_by(Organisation.name, SponsorProfile.id))
    if filters.kind is not None:
        statement = statement.where(Organisation.kind == filters.kind)
    if sponsor_id is not None:
        statement = statement.where(SponsorProfile.id == sponsor_id)
    found = db.session.scalars(statement).all()
    if filters.focus is not None:         # a JSON list: filtered here, the same on SQLite and PostgreSQL
        found = [profile for profile in found if filters.focus in (profile.focus_category_ids or [])]
    if not found:
        return []
    counts = _fair_counts(fair)
    rows = []
    for profile in found:
        signed, signed_fen = counts["signed"].get(profile.id, (0, 0))
        rows.append(SponsorRow(profile, counts["representatives"].get(profile.organisation_id, 0),
                               counts["invited"].get(profile.organisation_id, 0),
                               counts["bookmarks"].get(profile.id, 0), counts["meetings"].get(profile.id, 0),
                               signed, int(signed_fen or 0)))
    return rows


def _sponsors_page(fair, *, status=200, form=None, added=None):
    filters = Filters.from_args(fair, request.args)
    rows = sponsor_rows(fair, filters)
    return render_template(
        "sponsorship/sponsors.html", fair=fair, rows=rows, filters=filters, form=form or AddSponsorForm(formdata=None),
        kinds=profiles.SPONSOR_KINDS, categories={c.id: c for c in fair.categories}, supports=SUPPORT_LABELS,
        totals=_totals(rows), added=added), status


def _totals(rows: list[SponsorRow]) -> dict:
    return {"sponsors": len(rows), "signed": sum(row.signed for row in rows),
            "signed_fen": sum(row.signed_fen for row in rows), "meetings": sum(row.meetings for row in rows)}


@bp.get("/sponsors")
@fair_role_required(Role.organizer)
def sponsors(fair):
    return _sponsors_page(fair)


@bp.post("/sponsors")
@fair_role_required(Role.organizer)
def add_sponsor(fair):
    form = AddSponsorForm()
    if form.validate_on_submit():
        try:
            added = profiles.add_sponsor(fair, form.organisation_name.data, form.kind.data, form.email.data,
                                         form.person_name.data or "", current_user,
                                         valid_days=current_app.config["FAIR_INVITATION_DAYS"])
        except Refused as refusal:
            show_refusal(form, refusal)
        else:
            name = added.profile.organisation.name
            if added.token is None:
                flash(_("已登记支持方“%(name)s”，%(person)s 现在是其代表。", name=name,
                        person=added.representative.name), "success")
                return redirect(url_for("sponsorship.sponsor", slug=fair.slug, sponsor_id=added.profile.id))
            flash(_("已登记支持方“%(name)s”，并为 %(email)s 生成了邀请链接，请复制后发送给对方。链接只显示这一次。",
                    name=name, email=added.representative.email), "success")
            link = url_for("auth.accept_invitation", token=added.token, _external=True)
            return _sponsors_page(fair, added={"profile": added.profile, "link": link})
    return _sponsors_page(fair, status=400, form=form)


def _names(ids, labels: dict) -> str:
    return _("、").join(str(labels[key]) for key in ids if key in labels)


@bp.get("/sponsors.csv")
@fair_role_required(Role.organizer)
def sponsors_csv(fair):
    return _sponsors_export(fair, "csv")


@bp.get("/sponsors/export")
@fair_role_required(Role.organizer)
def sponsors_export(fair):
    return _sponsors_export(fair, exports.requested_format())


def _sponsors_export(fair, fmt: str):
    """Every sponsor shown by the filters, contact data included: exporting personal data is audited."""
    filters = Filters.from_args(fair, request.args)
    rows = sponsor_rows(fair, filters)
    locale = _locale()
    categories = {c.id: c.display_name(locale) for c in fair.categories}
    supports = {kind.value: label for kind, label in SUPPORT_LABELS.items()}
    column, number, money = exports.Column, exports.NUMBER, exports.MONEY
    table = exports.Table(_("支持方"), [
        column(_("单位名称")), column(_("单位类型")), column(_("关注的服务领域")), column(_("关注的地区")),
        column(_("预算下限（元）"), money), column(_("预算上限（元）"), money), column(_("可提供的支持")),
        column(_("代表人数"), number), column(_("收藏项目"), number), column(_("对接洽谈"), number),
        column(_("已签协议"), number), column(_("签约金额（元）"), money), column(_("联系人")), column(_("联系人手机")),
        column(_("单位简介")), column(_("希望看到的项目"))], timezone=fair.timezone)
    table.rows = [[row.profile.organisation.name, row.profile.organisation.kind.label,
                   _names(row.profile.focus_category_ids or [], categories), _("、").join(row.profile.regions or []),
                   row.profile.budget_min_fen, row.profile.budget_max_fen,
                   _names(row.profile.support_offered or [], supports), row.representatives, row.bookmarks,
                   row.meetings, row.signed, row.signed_fen, row.profile.contact_name, row.profile.contact_phone,
                   row.profile.introduction, row.profile.wants] for row in rows]
    audit(current_user, "sponsorship.sponsors.exported", fair, fair=fair,
          after={"rows": len(table.rows), **{k: v for k, v in filters.args().items() if v is not None}})
    db.session.commit()
    return exports.send_table(table, f"{fair.slug}-sponsors", fmt)


# --- one sponsor ---------------------------------------------------------------------------------------

@bp.get("/sponsors/<int:sponsor_id>")
@fair_role_required(Role.organizer, Role.exhibitor)
def sponsor(fair, sponsor_id: int):
    """The organizer sees everything; an exhibitor the public profile, without contact data."""
    rows = sponsor_rows(fair, sponsor_id=sponsor_id)
    if not rows:
        abort(404)
    row = rows[0]
    organizer = current_user.has_role(fair, Role.organizer)
    return render_template(
        "sponsorship/sponsor.html", fair=fair, row=row, profile=row.profile, organizer=organizer,
        representatives=profiles.representatives(fair, row.profile.organisation) if organizer else [],
        invitations=profiles.pending_invitations(fair, row.profile.organisation) if organizer else [],
        categories={c.id: c for c in fair.categories}, supports=SUPPORT_LABELS)


# --- bookmarks -----------------------------------------------------------------------------------------

def _own_sponsor(fair) -> SponsorProfile | None:
    return sponsor_of(current_user, fair)


def _bookmarks_page(fair, sponsor, *, status=200, failed: tuple[int, NoteForm] | None = None):
    bookmarks = db.session.scalars(
        sa.select(Bookmark).join(Bookmark.application)
        .options(contains_eager(Bookmark.application).joinedload(Application.organisation),
                 contains_eager(Bookmark.application).joinedload(Application.category))
        .where(Bookmark.sponsor_id == sponsor.id).order_by(Bookmark.created_at.desc(), Bookmark.id.desc())).all()
    forms = {bookmark.application_id: NoteForm(formdata=None, prefix=f"b{bookmark.application_id}",
                                               data={"note": bookmark.note}) for bookmark in bookmarks}
    if failed is not None:
        forms[failed[0]] = failed[1]
    return render_template("sponsorship/bookmarks.html", fair=fair, sponsor=sponsor, bookmarks=bookmarks,
                           forms=forms, button=BookmarkForm(formdata=None), is_exhibited=is_placeable), status


@bp.get("/bookmarks")
@fair_role_required(Role.sponsor)
def bookmarks(fair):
    sponsor = _own_sponsor(fair)
    if sponsor is None:
        return _no_profile(fair)
    return _bookmarks_page(fair, sponsor)


def _no_profile(fair):
    """A representative whose organisation has no profile in the fair yet: the profile comes first."""
    if not profiles.is_sponsor_kind(current_user.organisation):
        return _unlinked(fair, 200 if request.method == "GET" else 403)
    flash(_("请先填写并保存支持方资料，再收藏项目。"), "warning")
    return redirect(url_for("sponsorship.profile", slug=fair.slug))


def _fair_project(fair, application_id: int) -> Application:
    """A project of this fair by its id; another fair's is not found here."""
    return db.first_or_404(sa.select(Application).where(Application.id == application_id,
                                                        Application.fair_id == fair.id))


@bp.post("/projects/<int:application_id>/bookmark")
@fair_role_required(Role.sponsor)
def bookmark(fair, application_id: int):
    application = _fair_project(fair, application_id)
    sponsor = _own_sponsor(fair)
    if sponsor is None:
        return _no_profile(fair)
    form = BookmarkForm()
    if not form.validate_on_submit():
        abort(400)
    want = {"1": True, "0": False}.get(form.bookmarked.data or "")
    try:
        now = profiles.toggle_bookmark(sponsor, application, current_user, want=want)
    except Refused as refusal:
        flash(refusal.message, "danger")
    else:
        flash(_("已收藏“%(title)s”。", title=application.title) if now
              else _("已取消收藏“%(title)s”。", title=application.title), "success")
    return redirect(safe_next(form.next.data, url_for("sponsorship.bookmarks", slug=fair.slug)))


@bp.post("/projects/<int:application_id>/bookmark/note")
@fair_role_required(Role.sponsor)
def bookmark_note(fair, application_id: int):
    application = _fair_project(fair, application_id)
    sponsor = _own_sponsor(fair)
    if sponsor is None:
        return _no_profile(fair)
    form = NoteForm(prefix=f"b{application.id}")
    if form.validate_on_submit():
        try:
            profiles.set_bookmark_note(sponsor, application, form.note.data or "", current_user)
        except Refused as refusal:
            if refusal.code == "not_bookmarked":
                flash(refusal.message, "warning")
                return redirect(url_for("sponsorship.bookmarks", slug=fair.slug))
            show_refusal(form, refusal)
        else:
            flash(_("备注已保存。"), "success")
            return redirect(url_for("sponsorship.bookmarks", slug=fair.slug, _anchor=f"bookmark-{application.id}"))
    return _bookmarks_page(fair, sponsor, status=400, failed=(application.id, form))
