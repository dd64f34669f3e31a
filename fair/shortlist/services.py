"""Shortlisting: size and quotas, the proposal, overrides, publishing the decisions, calling up the waitlist.

Each function validates, writes, audits and commits in one transaction; the maths is in ranking.py."""
import math
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import force_locale, get_locale, gettext as _

from fair.applications.models import (Application, ApplicationStatus, Decision, Placement, Quota, QuotaDimension,
                                      ShortlistEntry)
from fair.audit.log import audit
from fair.auth.models import Organisation, User
from fair.extensions import db
from fair.fairs.models import Fair
from fair.messages.services import send_message
from fair.refusal import Refused
from fair.shortlist import queries, ranking
from fair.shortlist.queries import placement
from fair.times import utcnow

MAX_SIZE = 10_000
MAX_WAITLIST = 1_000
REASON_LENGTH = 500
DECISIONS = {Placement.shortlist: Decision.shortlisted, Placement.waitlist: Decision.waitlisted,
             Placement.out: Decision.rejected}


class QuotaConflict(Refused):
    """A proposal the quotas make impossible; `reasons` say why, each with its numbers."""

    def __init__(self, reasons: list[str]):
        super().__init__(_("名额要求无法同时满足，没有生成建议名单。"), "infeasible")
        self.reasons = reasons


@dataclass(frozen=True)
class QuotaSetting:
    """What the organizer asks of one category or city; None leaves that bound open."""

    dimension: QuotaDimension
    key: str
    minimum: int | None = None
    maximum: int | None = None

    @property
    def field(self) -> str:
        return f"{self.dimension.value}-{self.key}"


@dataclass(frozen=True)
class Proposal:
    shortlisted: int
    waitlisted: int
    unreviewed: int
    components: int       # parts of the review graph whose severities could not be compared


@dataclass(frozen=True)
class Promotion:
    application: Application
    unmet: list[str]      # quotas the shortlist breaks after the replacement, in words


def _refuse_if_published(fair: Fair) -> None:
    if queries.published_at(fair) is not None:
        raise Refused(_("入围结果已经发布，不能再修改名单。"), "published")


def _group_label(fair: Fair, dimension: str, key: str) -> str:
    if dimension == QuotaDimension.category.value:
        names = {str(c.id): c.display_name(str(get_locale())) for c in fair.categories}
        return _("服务领域“%(name)s”", name=names.get(key, key))
    return _("城市“%(name)s”", name=key)


def _bounds(minimum: int | None, maximum: int | None) -> str:
    parts = [_("最少 %(n)d 个", n=minimum)] if minimum else []
    parts += [_("最多 %(n)d 个", n=maximum)] if maximum is not None else []
    return "、".join(parts)


def _quota_words(fair: Fair, quota: Quota | ranking.Quota) -> str:
    dimension = quota.dimension.value if isinstance(quota.dimension, QuotaDimension) else quota.dimension
    return f"{_group_label(fair, dimension, quota.key)}（{_bounds(quota.minimum, quota.maximum)}）"


def _quota_state(fair: Fair) -> dict:
    return {"shortlist_size": fair.shortlist_size, "quotas": [_quota_words(fair, q) for q in queries.quotas(fair)]}


def _check_setting(setting: QuotaSetting, size: int, category_keys: set[str]) -> None:
    if setting.dimension == QuotaDimension.category and setting.key not in category_keys:
        raise Refused(_("本届展会没有这个服务领域。"), "bad_category", setting.field)
    if setting.dimension == QuotaDimension.city and not 0 < len(setting.key.strip()) <= 30:
        raise Refused(_("城市名称须为 1–30 个字。"), "bad_city", setting.field)
    for bound in (setting.minimum, setting.maximum):
        if bound is not None and not 0 <= bound <= size:
            raise Refused(_("须在 0 到入围名额 %(size)d 之间。", size=size), "out_of_range", setting.field)
    if setting.maximum is not None and setting.minimum is not None and setting.maximum < setting.minimum:
        raise Refused(_("最多不能少于最少。"), "maximum_below_minimum", setting.field)


def save_settings(fair: Fair, *, size: int, quotas: list[QuotaSetting], actor: User) -> None:
    """The shortlist's size and the quotas per category and city; a row with neither bound is no quota."""
    _refuse_if_published(fair)
    if not isinstance(size, int) or not 1 <= size <= MAX_SIZE:
        raise Refused(_("入围名额须为 1 到 %(n)d 之间的整数。", n=MAX_SIZE), "bad_size", "size")
    category_keys = {str(category.id) for category in fair.categories}
    wanted = {}
    for setting in quotas:
        _check_setting(setting, size, category_keys)
        if setting.minimum or setting.maximum is not None:
            wanted[(setting.dimension, setting.key.strip())] = (setting.minimum or 0, setting.maximum)
    before = _quota_state(fair)
    fair.shortlist_size = size
    for quota in queries.quotas(fair):
        bounds = wanted.pop((quota.dimension, quota.key), None)
        if bounds is None:
            db.session.delete(quota)
        else:
            quota.minimum, quota.maximum = bounds
    for (dimension, key), (minimum, maximum) in wanted.items():
        db.session.add(Quota(fair=fair, dimension=dimension, key=key, minimum=minimum, maximum=maximum))
    db.session.flush()
    audit(actor, "shortlist.settings.updated", fair, before=before, after=_quota_state(fair))
    db.session.commit()


def default_waitlist_size(size: int) -> int:
    """A tenth of the shortlist, rounded up: enough to cover the usual withdrawals."""
    return math.ceil(size / 10)


def explain(fair: Fair, conflict: ranking.Conflict) -> str:
    """One conflict as a sentence with its numbers, in the reader's language."""
    numbers, quota = dict(conflict.numbers), conflict.quota
    group = _group_label(fair, quota.dimension, quota.key) if quota else ""
    dimension = {"category": _("服务领域"), "city": _("城市")}.get(conflict.dimension or "", "")
    if conflict.kind == "too_few_candidates":
        return _("只有 %(available)d 个项目完成初审且未被排除，少于入围名额 %(size)d 个。", **numbers)
    if conflict.kind == "forced_above_size":
        return _("人工调入的项目有 %(forced)d 个，超过入围名额 %(size)d 个。", **numbers)
    if conflict.kind == "maximum_below_minimum":
        return _("%(group)s：最多 %(maximum)d 个，少于最少 %(minimum)d 个。", group=group, **numbers)
    if conflict.kind == "minimum_above_available":
        return _("%(group)s：最少 %(minimum)d 个，但完成初审且未被排除的项目只有 %(available)d 个。",
                 group=group, **numbers)
    if conflict.kind == "forced_above_maximum":
        return _("%(group)s：人工调入 %(forced)d 个，超过最多 %(maximum)d 个。", group=group, **numbers)
    if conflict.kind == "minimums_exceed_size":
        return _("各%(dimension)s的最少名额合计 %(total)d 个，超过入围名额 %(size)d 个。",
                 dimension=dimension, **numbers)
    if conflict.kind == "maximums_below_size":
        return _("按各%(dimension)s的最多名额，最多只能入围 %(capacity)d 个，少于入围名额 %(size)d 个。",
                 dimension=dimension, **numbers)
    others = "；".join([_quota_words(fair, other) for other in conflict.others]
                      + [_("入围名额 %(size)d 个", size=numbers["size"])])
    if quota.minimum and numbers["highest"] < quota.minimum:
        return _("在以下要求之下：%(others)s，%(group)s最多只能入围 %(highest)d 个，达不到最少 %(minimum)d 个。",
                 others=others, group=group, highest=numbers["highest"], minimum=quota.minimum)
    return _("在以下要求之下：%(others)s，%(group)s至少要入围 %(lowest)d 个，超过最多 %(maximum)d 个。",
             others=others, group=group, lowest=numbers["lowest"], maximum=quota.maximum)


def _pure_quotas(fair: Fair) -> list[ranking.Quota]:
    return [ranking.Quota(q.dimension.value, q.key, q.minimum, q.maximum) for q in queries.quotas(fair)]


def _groups(category_id: int, city: str) -> frozenset:
    return frozenset({(QuotaDimension.category.value, str(category_id)), (QuotaDimension.city.value, city)})


def propose(fair: Fair, *, actor: User, waitlist_size: int | None = None) -> Proposal:
    """Score, correct for reviewer severity, select within the quotas, and write the proposal.

    The organizer's overrides are kept and pinned (in stays in, out stays out); applications without a
    completed review get an entry without a score and cannot be chosen. Nothing is written when the
    quotas cannot be met: the refusal carries the reasons."""
    _refuse_if_published(fair)
    size = fair.shortlist_size
    if not size:
        raise Refused(_("请先设置入围名额。"), "no_size", "size")
    waitlist_size = default_waitlist_size(size) if waitlist_size is None else waitlist_size
    if not 0 <= waitlist_size <= MAX_WAITLIST:
        raise Refused(_("候补名额须为 0 到 %(n)d 之间的整数。", n=MAX_WAITLIST), "bad_waitlist", "waitlist_size")

    correction = ranking.correct_severity(ranking.Review(reviewer, application, float(score))
                                          for reviewer, application, score in db.session.execute(
                                              queries.review_scores(fair).where(queries.SUBMITTED)))
    submitted = db.session.execute(sa.select(Application.id, Application.category_id, Application.city)
                                   .where(Application.fair_id == fair.id, queries.SUBMITTED)).all()
    overrides = {row.application_id: (row.override, row.override_reason) for row in db.session.execute(
        sa.select(ShortlistEntry.application_id, ShortlistEntry.override, ShortlistEntry.override_reason)
        .where(ShortlistEntry.fair_id == fair.id, ShortlistEntry.override.is_not(None)))}
    estimates = correction.estimates
    candidates = [ranking.Candidate(i, estimates[i].score, _groups(category_id, city))
                  for i, category_id, city in submitted if i in estimates]
    overrides = {i: override for i, override in overrides.items() if i in estimates}
    selection = ranking.select(
        candidates, size, _pure_quotas(fair), waitlist_size=waitlist_size,
        forced_in=[i for i, (where, _reason) in overrides.items() if where == Placement.shortlist],
        kept_out=[i for i, (where, _reason) in overrides.items() if where != Placement.shortlist])
    if not selection.feasible:
        raise QuotaConflict([explain(fair, conflict) for conflict in selection.conflicts])

    proposed = ({i: Placement.shortlist for i in selection.shortlist}
                | {i: Placement.waitlist for i in selection.waitlist})
    rows = []
    for i, _category, _city in submitted:
        override, reason = overrides.get(i, (None, ""))
        rows.append({"fair_id": fair.id, "application_id": i, "score": estimates[i].score if i in estimates else None,
                     "proposed": proposed.get(i, Placement.out), "override": override, "override_reason": reason,
                     "waitlist_rank": None})
    waiting = sorted((row for row in rows if (row["override"] or row["proposed"]) == Placement.waitlist),
                     key=lambda row: (-row["score"], row["application_id"]))
    for rank, row in enumerate(waiting, start=1):
        row["waitlist_rank"] = rank
    db.session.execute(sa.delete(ShortlistEntry).where(ShortlistEntry.fair_id == fair.id))
    try:
        if rows:
            db.session.execute(sa.insert(ShortlistEntry), rows)
    except sa.exc.IntegrityError:           # another proposal landed meanwhile: one entry per application
        db.session.rollback()
        raise Refused(_("另一位组织方刚刚生成了建议名单，请刷新页面后再试。"), "concurrent") from None
    result = Proposal(len(selection.shortlist), len(waiting), len(submitted) - len(candidates), correction.components)
    audit(actor, "shortlist.proposal.created", fair,
          after={"shortlist_size": size, "waitlist_size": waitlist_size, "shortlisted": result.shortlisted,
                 "waitlisted": result.waitlisted, "unreviewed": result.unreviewed, "overrides_kept": len(overrides)})
    db.session.commit()
    return result


def _renumber_waitlist(fair_id: int) -> None:
    """Waitlist ranks follow the corrected score among the entries now on the waitlist."""
    entries = db.session.scalars(
        sa.select(ShortlistEntry)
        .where(ShortlistEntry.fair_id == fair_id,
               sa.or_(placement == Placement.waitlist, ShortlistEntry.waitlist_rank.is_not(None)))
        .order_by(ShortlistEntry.score.desc().nulls_last(), ShortlistEntry.application_id)).all()
    rank = 0
    for entry in entries:
        if entry.placement == Placement.waitlist:
            rank += 1
            entry.waitlist_rank = rank
        else:
            entry.waitlist_rank = None


def _entry_state(entry: ShortlistEntry) -> dict:
    return {"placement": entry.placement.value, "override_reason": entry.override_reason,
            "waitlist_rank": entry.waitlist_rank}


def override_entry(entry: ShortlistEntry, where: Placement, *, reason: str, actor: User) -> ShortlistEntry:
    """Move one application in or out of the proposal by hand, with the reason (required, audited).
    Moving it back where the proposal put it clears the override."""
    fair = entry.application.fair
    _refuse_if_published(fair)
    reason = (reason or "").strip()
    if not reason:
        raise Refused(_("请填写调整理由。"), "reason_required", "reason")
    if len(reason) > REASON_LENGTH:
        raise Refused(_("不能超过 %(n)d 个字。", n=REASON_LENGTH), "too_long", "reason")
    if entry.score is None and where != Placement.out:
        raise Refused(_("该项目尚未完成初审，不能入围或候补。"), "unreviewed")
    before = _entry_state(entry)
    entry.override = None if where == entry.proposed else where
    entry.override_reason = reason if entry.override else ""
    db.session.flush()
    _renumber_waitlist(fair.id)
    after = _entry_state(entry) | {"override_reason": reason}
    audit(actor, "shortlist.entry.overridden", entry, before=before, after=after, fair=fair)
    db.session.commit()
    return entry


def _in_chinese(compose, items: list[tuple]) -> list[str]:
    with force_locale("zh_Hans"):
        return [compose(*item) for item in items]


def _in_both_languages(compose, items: list[tuple]) -> list[str]:
    """Chinese, then English where the catalog has it: the recipient may read either. One switch of
    language per batch, not per message."""
    chinese = _in_chinese(compose, items)
    with force_locale("en"):
        english = [compose(*item) for item in items]
    return [zh if en == zh else f"{zh}\n\n{en}" for zh, en in zip(chinese, english)]


def _decision_subject(decision: Decision, title: str) -> str:
    if decision == Decision.shortlisted:
        return _("项目入围通知：%(title)s", title=title)
    if decision == Decision.waitlisted:
        return _("项目候补通知：%(title)s", title=title)
    return _("项目初审结果：%(title)s", title=title)


def _decision_body(decision: Decision, title: str, fair_name: str, rank: int | None) -> str:
    if decision == Decision.shortlisted:
        return _("您单位申报的项目“%(title)s”已入围%(fair)s。组织方将另行通知布展安排，请留意消息。",
                 title=title, fair=fair_name)
    if decision == Decision.waitlisted:
        return _("您单位申报的项目“%(title)s”已列入%(fair)s候补名单（第 %(rank)d 位）。"
                 "如有入围项目退出，将按候补顺序递补，届时另行通知。", title=title, fair=fair_name, rank=rank or 0)
    return _("感谢您单位申报项目“%(title)s”。经初审遴选，该项目未能入围%(fair)s。"
             "感谢您对志愿服务事业的支持，欢迎参加下一届展会。", title=title, fair=fair_name)


def _promotion_subject(title: str) -> str:
    return _("候补递补入围通知：%(title)s", title=title)


def _promotion_body(title: str, fair_name: str) -> str:
    return _("您单位申报的项目“%(title)s”已由候补递补入围%(fair)s。组织方将另行通知布展安排，请留意消息。",
             title=title, fair=fair_name)


def publish(fair: Fair, *, actor: User, at: datetime | None = None) -> dict[str, int]:
    """Every submitted application gets its decision and its organisation a message, all in one
    transaction. The UPDATEs only touch undecided applications, so a second publication (or two at
    once) changes nothing and is refused: the database, not a Python check, is the guard."""
    at = at or utcnow()
    _refuse_if_published(fair)
    entries = db.session.execute(
        sa.select(ShortlistEntry, Application, Organisation)
        .join(Application, Application.id == ShortlistEntry.application_id)
        .join(Organisation, Organisation.id == Application.organisation_id)
        .where(ShortlistEntry.fair_id == fair.id)).all()
    if not entries:
        raise Refused(_("请先生成建议名单。"), "no_proposal")
    submitted = set(db.session.scalars(sa.select(Application.id).where(Application.fair_id == fair.id,
                                                                       queries.SUBMITTED)))
    if submitted != {application.id for _entry, application, _organisation in entries}:
        raise Refused(_("生成建议名单后，已提交的申报有了变化（新提交或撤回），请重新生成建议名单。"), "stale_proposal")
    updated = 0
    for where, decision in DECISIONS.items():
        updated += db.session.execute(
            sa.update(Application)
            .where(Application.fair_id == fair.id, queries.SUBMITTED, Application.decision.is_(None),
                   Application.id.in_(sa.select(ShortlistEntry.application_id)
                                      .where(ShortlistEntry.fair_id == fair.id, placement == where)))
            .values(decision=decision, decided_at=at).execution_options(synchronize_session=False)).rowcount
    if updated != len(submitted):
        db.session.rollback()
        raise Refused(_("入围结果已经发布，不能再次发布。"), "already_published")
    decided = [(DECISIONS[entry.placement], application.title, fair.name, entry.waitlist_rank)
               for entry, application, _organisation in entries]
    subjects = _in_chinese(_decision_subject, [(decision, title) for decision, title, _fair, _rank in decided])
    bodies = _in_both_languages(_decision_body, decided)
    for (_entry, _application, organisation), subject, body in zip(entries, subjects, bodies):
        send_message(fair, organisation=organisation, kind="shortlist.decision", subject=subject, body=body)
    tally = Counter(decision.value for decision, *_rest in decided)
    audit(actor, "shortlist.published", fair, after=dict(tally))
    db.session.commit()
    return dict(tally)


def replace_from_waitlist(withdrawn: Application, *, actor: User, at: datetime | None = None) -> Promotion:
    """A shortlisted application was withdrawn after publication: call up the best waitlisted one that
    keeps the quotas (or, when none can, the best one, saying which quotas stay unmet), in one step."""
    at = at or utcnow()
    fair = withdrawn.fair
    if withdrawn.decision != Decision.shortlisted or withdrawn.status != ApplicationStatus.withdrawn:
        raise Refused(_("只有已入围、之后又撤回的项目才能由候补递补。"), "not_withdrawn")
    rows = db.session.execute(
        sa.select(Application.id, Application.category_id, Application.city, Application.decision, ShortlistEntry.score)
        .join(ShortlistEntry, ShortlistEntry.application_id == Application.id)
        .where(Application.fair_id == fair.id, queries.SUBMITTED,
               Application.decision.in_([Decision.shortlisted, Decision.waitlisted]))
        .order_by(ShortlistEntry.waitlist_rank.nulls_last(), ShortlistEntry.score.desc(), Application.id)).all()
    shortlist = [ranking.Candidate(r.id, r.score, _groups(r.category_id, r.city)) for r in rows
                 if r.decision == Decision.shortlisted]
    waitlist = [ranking.Candidate(r.id, r.score, _groups(r.category_id, r.city)) for r in rows
                if r.decision == Decision.waitlisted]
    quotas = _pure_quotas(fair)
    choice = ranking.choose_replacement(shortlist, waitlist, quotas)
    if choice is None:
        raise Refused(_("候补名单中已没有可递补的项目。"), "waitlist_empty")
    chosen = db.session.get(Application, choice.application_id)
    released = db.session.execute(
        sa.update(ShortlistEntry).where(ShortlistEntry.application_id == withdrawn.id, placement == Placement.shortlist)
        .values(override=Placement.out, override_reason=_("已撤回，由“%(title)s”递补", title=chosen.title))
        .execution_options(synchronize_session=False)).rowcount
    promoted = db.session.execute(
        sa.update(Application).where(Application.id == chosen.id, Application.decision == Decision.waitlisted,
                                     queries.SUBMITTED)
        .values(decision=Decision.shortlisted, decided_at=at).execution_options(synchronize_session=False)).rowcount
    if released != 1 or promoted != 1:
        db.session.rollback()
        raise Refused(_("该项目已经递补过了，请刷新页面。"), "already_replaced")
    db.session.execute(
        sa.update(ShortlistEntry).where(ShortlistEntry.application_id == chosen.id)
        .values(override=Placement.shortlist, override_reason=_("递补已撤回的“%(title)s”", title=withdrawn.title))
        .execution_options(synchronize_session=False))
    db.session.expire_all()
    _renumber_waitlist(fair.id)
    counts = Counter(group for candidate in shortlist for group in candidate.groups)
    counts.update(next(c for c in waitlist if c.application_id == chosen.id).groups)
    unmet = [_("%(quota)s：递补后为 %(count)d 个", quota=_quota_words(fair, quota), count=counts[quota.group])
             for quota in choice.unmet]
    send_message(fair, organisation=chosen.organisation, kind="shortlist.promoted",
                 subject=_in_chinese(_promotion_subject, [(chosen.title,)])[0],
                 body=_in_both_languages(_promotion_body, [(chosen.title, fair.name)])[0])
    audit(actor, "shortlist.application.promoted", chosen, before={"decision": Decision.waitlisted.value},
          after={"decision": Decision.shortlisted.value, "replaces": withdrawn.title, "unmet_quotas": unmet})
    db.session.commit()
    return Promotion(chosen, unmet)
