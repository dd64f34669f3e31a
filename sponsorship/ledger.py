"""The funding ledger: every agreement moves intent → signed → paid. The totals that the ledger page, the
signing wall and the organizer's dashboard show, and the services that record and remove the instalments
a sponsor pays.

The totals are read from the agreements themselves by SQL aggregates in a fixed number of queries, so they
always equal the signed agreements, never a figure someone typed. Counted as signed: the versions in
status `signed` (a superseded or cancelled version is not). Counted as intended: the drafts and the
sponsor-signed ones that are not amendments, since an open amendment of a signed agreement is the same
money as its signed version.

Payments belong to an agreement series (its `number`): an amendment keeps what was paid on the version it
amends, and a series' payments never exceed the amount of its signed version. Two payments recorded at
once cannot overshoot it: the agreement row is locked (SELECT … FOR UPDATE on PostgreSQL) and its version
counter moved before the paid total is read, so on SQLite the second writer waits and then finds the
version gone."""
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Iterable, Iterator

import sqlalchemy as sa
from flask_babel import force_locale, get_locale, gettext as _, lazy_gettext as _l
from sqlalchemy.orm import aliased, contains_eager
from sqlalchemy.orm.exc import StaleDataError

from fair import exports
from fair.applications.models import Application
from fair.audit.log import audit, snapshot
from fair.auth.models import ORGANISATION_KIND_LABELS, Organisation, User
from fair.extensions import db
from fair.fairs.models import Category, Fair
from fair.refusal import Refused
from fair.templating import yuan
from fair.times import to_local, utcnow
from judging.queries import published_awards
from sponsorship.access import is_organizer, represents_sponsor
from sponsorship.models import AGREEMENT_STATUS_LABELS, Agreement, AgreementStatus, CaringUnit, Payment, SponsorProfile

REFERENCE_LENGTH = 80
REASON_LENGTH = 500
SIGNED = AgreementStatus.signed
INTENT = (AgreementStatus.draft, AgreementStatus.sponsor_signed)
NO_AWARD, NO_CITY = _l("未获奖"), _l("未填写")
PAYMENT_FIELDS = ("agreement_id", "amount_fen", "paid_on", "reference", "recorded_by_id")
# The ledger's list filters: every current agreement, the intents, the signed ones, those not fully paid.
FILTERS = ("all", "intent", "signed", "unpaid")


# --- totals ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Bucket:
    """One line of a breakdown of the signed amounts: a category, a city, an award tier or a sponsor kind."""

    key: str
    name: object                  # a str, or a lazy string translated when shown
    count: int                    # signed agreements
    amount_fen: int
    name_en: str = ""

    @property
    def label(self) -> str:
        locale = str(get_locale() or "zh_Hans")
        return self.name_en if locale.startswith("en") and self.name_en else str(self.name)


@dataclass(frozen=True)
class Totals:
    """The fair's funding figures, as the ledger, the signing wall and the dashboard show them."""

    intended_count: int
    intended_fen: int
    signed_count: int
    signed_fen: int               # money; in-kind support is `in_kind_fen`
    in_kind_fen: int
    paid_fen: int
    projects_funded: int          # distinct projects with a signed agreement
    sponsors_signed: int          # distinct sponsors with a signed agreement
    caring_units: int
    by_category: list[Bucket] = field(default_factory=list)
    by_region: list[Bucket] = field(default_factory=list)
    by_tier: list[Bucket] = field(default_factory=list)
    by_sponsor_kind: list[Bucket] = field(default_factory=list)

    @property
    def unpaid_fen(self) -> int:
        return max(self.signed_fen - self.paid_fen, 0)

    @property
    def paid_share(self) -> float:
        return self.paid_fen / self.signed_fen if self.signed_fen else 0.0


def _current(fair: Fair):
    """The versions the ledger counts: signed ones, and intents that are not amendments."""
    return sa.and_(Agreement.fair_id == fair.id, sa.or_(
        Agreement.status == SIGNED, sa.and_(Agreement.status.in_(INTENT), Agreement.amends_id.is_(None))))


def _signed(fair: Fair):
    return sa.and_(Agreement.fair_id == fair.id, Agreement.status == SIGNED)


def _sum(column) -> sa.ColumnElement:
    return sa.func.coalesce(sa.func.sum(column), 0)


def totals(fair: Fair, *, breakdowns: bool = True) -> Totals:
    """The fair's funding totals and breakdowns, in at most nine queries whatever the number of agreements;
    without the breakdowns (what a live figure polls), in three."""
    by_status = {row.status: row for row in db.session.execute(
        sa.select(Agreement.status, sa.func.count(Agreement.id).label("count"),
                  _sum(Agreement.amount_fen).label("amount"), _sum(Agreement.in_kind_value_fen).label("in_kind"),
                  sa.func.count(sa.distinct(Agreement.application_id)).label("projects"),
                  sa.func.count(sa.distinct(Agreement.sponsor_id)).label("sponsors"))
        .where(_current(fair)).group_by(Agreement.status))}
    intents = [by_status[status] for status in INTENT if status in by_status]
    signed = by_status.get(SIGNED)
    paid = db.session.scalar(
        sa.select(_sum(Payment.amount_fen)).join(Agreement, Agreement.id == Payment.agreement_id)
        .where(Agreement.fair_id == fair.id, Agreement.number.in_(sa.select(Agreement.number).where(_signed(fair)))))
    caring = db.session.scalar(sa.select(sa.func.count(CaringUnit.id)).where(CaringUnit.fair_id == fair.id))
    found = Totals(
        intended_count=sum(row.count for row in intents), intended_fen=sum(int(row.amount) for row in intents),
        signed_count=signed.count if signed else 0, signed_fen=int(signed.amount) if signed else 0,
        in_kind_fen=int(signed.in_kind) if signed else 0, paid_fen=int(paid),
        projects_funded=signed.projects if signed else 0, sponsors_signed=signed.sponsors if signed else 0,
        caring_units=caring)
    if not breakdowns:
        return found
    return replace(found, by_category=_by_category(fair), by_region=_by_region(fair), by_tier=_by_tier(fair),
                   by_sponsor_kind=_by_sponsor_kind(fair))


def _by_category(fair: Fair) -> list[Bucket]:
    rows = db.session.execute(
        sa.select(Category.id, Category.name, Category.name_en, sa.func.count(Agreement.id),
                  _sum(Agreement.amount_fen))
        .select_from(Agreement).join(Application, Application.id == Agreement.application_id)
        .join(Category, Category.id == Application.category_id)
        .where(_signed(fair)).group_by(Category.id, Category.name, Category.name_en, Category.position)
        .order_by(Category.position, Category.id))
    return [Bucket(str(id_), name, count, int(amount), name_en) for id_, name, name_en, count, amount in rows]


def _by_region(fair: Fair) -> list[Bucket]:
    rows = db.session.execute(
        sa.select(Application.city, sa.func.count(Agreement.id), _sum(Agreement.amount_fen))
        .select_from(Agreement).join(Application, Application.id == Agreement.application_id)
        .where(_signed(fair)).group_by(Application.city))
    buckets = [Bucket(city, city or NO_CITY, count, int(amount)) for city, count, amount in rows]
    return sorted(buckets, key=lambda bucket: (-bucket.amount_fen, bucket.key))


def _by_sponsor_kind(fair: Fair) -> list[Bucket]:
    rows = {kind: (count, int(amount)) for kind, count, amount in db.session.execute(
        sa.select(Organisation.kind, sa.func.count(Agreement.id), _sum(Agreement.amount_fen))
        .select_from(Agreement).join(SponsorProfile, SponsorProfile.id == Agreement.sponsor_id)
        .join(Organisation, Organisation.id == SponsorProfile.organisation_id)
        .where(_signed(fair)).group_by(Organisation.kind))}
    return [Bucket(kind.value, label, *rows[kind]) for kind, label in ORGANISATION_KIND_LABELS.items() if kind in rows]


def _by_tier(fair: Fair) -> list[Bucket]:
    """Through judging's published awards only: before publication every project is in "no award"."""
    per_project = db.session.execute(
        sa.select(Agreement.application_id, sa.func.count(Agreement.id), _sum(Agreement.amount_fen))
        .where(_signed(fair)).group_by(Agreement.application_id)).all()
    if not per_project:
        return []
    awards = published_awards(fair)
    counts, amounts, award_of = Counter(), Counter(), {}
    for application_id, count, amount in per_project:
        award = awards.get(application_id)
        key = award.tier_id if award else None
        award_of[key] = award
        counts[key] += count
        amounts[key] += int(amount)
    ranked = sorted((key for key in counts if key is not None), key=lambda key: award_of[key].tier_position)
    buckets = [Bucket(str(key), award_of[key].tier_name, counts[key], amounts[key], award_of[key].tier_name_en)
               for key in ranked]
    if None in counts:
        buckets.append(Bucket("none", NO_AWARD, counts[None], amounts[None]))
    return buckets


# --- what the pages list ---------------------------------------------------------------------------------

def agreements_query(fair: Fair, *, show: str = "all", words: str = "") -> sa.Select:
    """The ledger's agreements (current versions) with their sponsor's organisation and project loaded,
    by number; `show` one of FILTERS, `words` matched in the number, sponsor and project title."""
    query = (sa.select(Agreement)
             .join(SponsorProfile, SponsorProfile.id == Agreement.sponsor_id)
             .join(Organisation, Organisation.id == SponsorProfile.organisation_id)
             .join(Application, Application.id == Agreement.application_id)
             .options(contains_eager(Agreement.sponsor).contains_eager(SponsorProfile.organisation),
                      contains_eager(Agreement.application))
             .where(_current(fair)).order_by(Agreement.number, Agreement.revision))
    if show == "intent":
        query = query.where(Agreement.status.in_(INTENT))
    elif show in ("signed", "unpaid"):
        query = query.where(Agreement.status == SIGNED)
    if show == "unpaid":
        query = query.where(_series_paid(fair) < Agreement.amount_fen)
    for word in words.split():
        pattern = f"%{_escape_like(word)}%"
        query = query.where(sa.or_(Agreement.number.ilike(pattern, escape="\\"),
                                   Organisation.name.ilike(pattern, escape="\\"),
                                   Application.title.ilike(pattern, escape="\\")))
    return query


def _escape_like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _series_paid(fair: Fair) -> sa.ScalarSelect:
    """What was paid on the series of the agreement in the outer query (any of its versions)."""
    paying = aliased(Agreement)
    return (sa.select(_sum(Payment.amount_fen)).join(paying, paying.id == Payment.agreement_id)
            .where(paying.fair_id == fair.id, paying.number == Agreement.number).scalar_subquery())


def paid_by_number(fair: Fair, numbers: Iterable[str] | None = None) -> dict[str, int]:
    """What was paid on each agreement series (of `numbers` if given), in one query."""
    query = (sa.select(Agreement.number, _sum(Payment.amount_fen)).join(Payment, Payment.agreement_id == Agreement.id)
             .where(Agreement.fair_id == fair.id).group_by(Agreement.number))
    if numbers is not None:
        query = query.where(Agreement.number.in_(list(numbers)))
    return {number: int(amount) for number, amount in db.session.execute(query)}


def series_payments(agreement: Agreement) -> list[Payment]:
    """The payments of the agreement's series (any version), oldest first."""
    return db.session.scalars(
        sa.select(Payment).join(Agreement, Agreement.id == Payment.agreement_id)
        .where(Agreement.fair_id == agreement.fair_id, Agreement.number == agreement.number)
        .order_by(Payment.paid_on, Payment.id)).all()


def signed_version(agreement: Agreement) -> Agreement | None:
    """The signed version of the agreement's series, the one payments are recorded on."""
    if agreement.status is SIGNED:
        return agreement
    return db.session.scalar(sa.select(Agreement).where(
        Agreement.fair_id == agreement.fair_id, Agreement.number == agreement.number, Agreement.status == SIGNED))


@dataclass(frozen=True)
class Signing:
    """A line of the signing wall: public names and figures only, no people."""

    agreement_id: int
    sponsor: str
    project: str
    amount_fen: int
    in_kind_fen: int
    signed_at: datetime


def latest_signings(fair: Fair, limit: int = 8) -> list[Signing]:
    """The most recent countersignatures, newest first, in one query."""
    rows = db.session.execute(
        sa.select(Agreement.id, Organisation.name, Application.title, Agreement.amount_fen,
                  Agreement.in_kind_value_fen, Agreement.signed_at)
        .join(SponsorProfile, SponsorProfile.id == Agreement.sponsor_id)
        .join(Organisation, Organisation.id == SponsorProfile.organisation_id)
        .join(Application, Application.id == Agreement.application_id)
        .where(_signed(fair), Agreement.signed_at.is_not(None))
        .order_by(Agreement.signed_at.desc(), Agreement.id.desc()).limit(limit))
    return [Signing(*row) for row in rows]


# --- payments ----------------------------------------------------------------------------------------------

def may_record_payment(user: User | None, agreement: Agreement) -> bool:
    """Organizers, and the representatives of the agreement's sponsor."""
    return user is not None and (is_organizer(user, agreement.fair) or represents_sponsor(user, agreement.sponsor))


def record_payment(agreement: Agreement, amount_fen: int, paid_on: date, reference: str, actor: User | None, *,
                   version: int | None = None, now: datetime | None = None) -> Payment:
    """Record an instalment the sponsor paid on a signed agreement (audited). `version` is the agreement's
    as the page showed it; `actor` None is the system (the demo builder)."""
    reference = " ".join((reference or "").split())
    _check_amount(amount_fen)
    if len(reference) > REFERENCE_LENGTH:
        raise Refused(_("不能超过 %(n)d 个字。", n=REFERENCE_LENGTH), "too_long", "reference")
    fair = agreement.fair
    with _writing(_("该协议刚被他人修改或登记了付款，请核对最新的付款记录后重试。")):
        locked = _lock(agreement)
        if actor is not None and not may_record_payment(actor, locked):
            raise Refused(_("只有组织方或支持方的代表可以登记付款。"), "not_allowed")
        if locked.status is not SIGNED:
            raise Refused(_("只有已签约的协议可以登记付款。"), "not_signed")
        _check_version(locked, version)
        _check_day(fair, locked, paid_on, now or utcnow())
        _claim(locked)
        paid = _paid_fen(locked)
        if paid + amount_fen > locked.amount_fen:
            raise Refused(_("付款合计将超过协议金额：协议金额 %(amount)s，已到账 %(paid)s，最多还可登记 %(left)s。",
                            amount=yuan(locked.amount_fen), paid=yuan(paid),
                            left=yuan(max(locked.amount_fen - paid, 0))), "exceeds_agreement", "amount")
        payment = Payment(agreement=locked, agreement_id=locked.id, amount_fen=amount_fen, paid_on=paid_on,
                          reference=reference, recorded_by_id=getattr(actor, "id", None))
        db.session.add(payment)
        audit(actor, "sponsorship.payment.recorded", payment, fair=fair,
              after=snapshot(payment, PAYMENT_FIELDS) | {"paid_total_fen": paid + amount_fen})
    return payment


def remove_payment(payment: Payment, reason: str, actor: User | None, *, version: int | None = None) -> None:
    """An organizer takes back a payment recorded by mistake, saying why (audited with what it was)."""
    reason = (reason or "").strip()
    if not reason:
        raise Refused(_("请说明删除这笔付款的理由。"), "reason_required", "reason")
    if len(reason) > REASON_LENGTH:
        raise Refused(_("不能超过 %(n)d 个字。", n=REASON_LENGTH), "too_long", "reason")
    fair = payment.agreement.fair
    with _writing(_("该协议刚被他人修改或登记了付款，请核对最新的付款记录后重试。")):
        locked = _lock(payment.agreement)
        if actor is not None and not is_organizer(actor, fair):
            raise Refused(_("只有组织方可以删除付款记录。"), "not_allowed")
        _check_version(locked, version)
        _claim(locked)
        audit(actor, "sponsorship.payment.removed", payment, fair=fair,
              before=snapshot(payment, PAYMENT_FIELDS), after={"reason": reason})
        db.session.delete(payment)


def _check_amount(amount_fen) -> None:
    if not isinstance(amount_fen, int) or isinstance(amount_fen, bool) or amount_fen <= 0:
        raise Refused(_("请填写大于零的金额（元）。"), "bad_amount", "amount")


def _check_day(fair: Fair, agreement: Agreement, paid_on: date | None, now: datetime) -> None:
    """Not in the future, nor before the day the agreement was countersigned (both in the fair's timezone)."""
    if not isinstance(paid_on, date) or isinstance(paid_on, datetime):
        raise Refused(_("请填写付款日期。"), "date_required", "paid_on")
    today = to_local(now, fair.timezone).date()
    if paid_on > today:
        raise Refused(_("付款日期不能晚于今天（%(today)s）。", today=today.isoformat()), "date_in_future", "paid_on")
    signed_on = to_local(agreement.signed_at or agreement.created_at, fair.timezone).date()
    if paid_on < signed_on:
        raise Refused(_("付款日期不能早于协议签订日（%(day)s）。", day=signed_on.isoformat()), "before_signing",
                      "paid_on")


def _check_version(agreement: Agreement, version: int | None) -> None:
    if version is not None and version != agreement.version:
        raise Refused(_("该协议刚被他人修改或登记了付款，请核对最新的付款记录后重试。"), "stale")


def _lock(agreement: Agreement) -> Agreement:
    """The agreement as it is now, its row locked until the commit on PostgreSQL (SQLite ignores FOR UPDATE;
    there the version counter of `_claim` guards)."""
    return db.session.scalars(sa.select(Agreement).where(Agreement.id == agreement.id).with_for_update()
                              .execution_options(populate_existing=True)).one()


def _claim(agreement: Agreement) -> None:
    """Move the agreement's version on now, before the paid total is read: on SQLite this write takes the
    database's write lock, and a writer that read the row before another's commit fails its version check."""
    agreement.updated_at = utcnow()
    db.session.flush()


def _paid_fen(agreement: Agreement) -> int:
    return int(db.session.scalar(
        sa.select(_sum(Payment.amount_fen)).join(Agreement, Agreement.id == Payment.agreement_id)
        .where(Agreement.fair_id == agreement.fair_id, Agreement.number == agreement.number)))


@contextmanager
def _writing(stale_message: str) -> Iterator[None]:
    """Commit the block's writes with their audit event, or none of them: a refusal, a stale version or a
    database rule rolls everything back (and so releases the row lock)."""
    try:
        yield
        db.session.commit()
    except (StaleDataError, sa.exc.IntegrityError):
        db.session.rollback()
        raise Refused(stale_message, "concurrent") from None
    except BaseException:
        db.session.rollback()
        raise


# --- export ----------------------------------------------------------------------------------------------

# The words in the file are Chinese whatever the page's language, as in the other exports.
EXPORT_COLUMNS = [
    exports.Column("协议编号"), exports.Column("版本", exports.NUMBER), exports.Column("状态"),
    exports.Column("支持方"), exports.Column("支持方类型"), exports.Column("项目"), exports.Column("项目单位"),
    exports.Column("服务领域"), exports.Column("城市"), exports.Column("奖项"),
    exports.Column("资金（元）", exports.MONEY), exports.Column("物资等折价（元）", exports.MONEY),
    exports.Column("已到账（元）", exports.MONEY), exports.Column("待到账（元）", exports.MONEY),
    exports.Column("签约时间", exports.DATETIME)]
CSV_HEADER = [column.header for column in EXPORT_COLUMNS]


def export_table(fair: Fair, *, show: str = "all", words: str = "") -> exports.Table:
    """The ledger's agreements as filtered on the page: money from fen, times in the fair's timezone."""
    agreements = db.session.scalars(agreements_query(fair, show=show, words=words).options(
        contains_eager(Agreement.application).joinedload(Application.organisation))).all()
    paid = paid_by_number(fair)
    awards = published_awards(fair)
    categories = {category.id: category.name for category in fair.categories}
    with force_locale("zh_Hans"):
        statuses = {status: str(label) for status, label in AGREEMENT_STATUS_LABELS.items()}
        kinds = {kind: str(label) for kind, label in ORGANISATION_KIND_LABELS.items()}
    table = exports.Table("资金台账", EXPORT_COLUMNS, timezone=fair.timezone)
    for agreement in agreements:
        application, signed = agreement.application, agreement.status is SIGNED
        paid_fen = paid.get(agreement.number, 0) if signed else 0
        award = awards.get(application.id)
        table.rows.append([
            agreement.number, agreement.revision, statuses[agreement.status], agreement.sponsor.organisation.name,
            kinds[agreement.sponsor.organisation.kind], application.title, application.organisation.name,
            categories.get(application.category_id, ""), application.city, award.tier_name if award else "",
            agreement.amount_fen, agreement.in_kind_value_fen, paid_fen,
            max(agreement.amount_fen - paid_fen, 0) if signed else None, agreement.signed_at])
    return table


def export_csv(fair: Fair, *, show: str = "all", words: str = "") -> bytes:
    """The ledger for Excel as CSV: UTF-8 with a BOM, money in yuan."""
    return exports.csv_bytes(export_table(fair, show=show, words=words))
