"""Support agreements and their two-step signing: drafting and editing (either party), the sponsor's
signature, the exhibitor's countersignature, amendments as new versions, cancellation. Each function a
person triggers validates, writes, audits and commits in one transaction, or raises Refused and writes
nothing.

What concurrency could break is guarded by the database: one signature per party and version (unique
agreement_id, side), one open draft per agreement number (a partial unique index), one row per number and
revision; and every write to an agreement goes through its version counter, so of two people signing,
editing or cancelling one version at once exactly one succeeds and the other is told.

A signature holds the SHA-256 of the exact text its signer was shown (agreement_text.render): the signing
page posts back the hash it showed, and a text changed in between is refused rather than signed unseen.
Totals elsewhere count status `signed` only, so they always equal the signed agreements."""
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.exc import StaleDataError

from fair.applications.models import Application
from fair.audit.log import audit, snapshot
from fair.audit.models import AuditEvent
from fair.auth.models import Role, User
from fair.booths.placing import is_placeable
from fair.documents.codes import public_code
from fair.extensions import db
from fair.fairs.models import Fair
from fair import money
from fair.money import yuan
from fair.refusal import Refused
from fair.times import start_of_day, to_local, utcnow
from sponsorship import agreement_text
from sponsorship.access import is_organizer, represents_project, represents_sponsor, sponsor_of
from sponsorship.models import Agreement, AgreementStatus, Meeting, Side, Signature, SponsorProfile

MAX_AMOUNT_FEN = 100_000_000 * 100          # ¥100,000,000: more than any one agreement of a fair like this
MAX_PERIOD_DAYS = 10 * 366
TERMS_LENGTH = 5000
DESCRIPTION_LENGTH = 1000
REASON_LENGTH = 500
NUMBER_PREFIX = "XY-"
NUMBER_TRIES = 20                           # enough for 20 people drafting in the same instant
OPEN = (AgreementStatus.draft, AgreementStatus.sponsor_signed)
DRAFTED, EDITED, SIGNED, COUNTERSIGNED = ("sponsorship.agreement.drafted", "sponsorship.agreement.edited",
                                          "sponsorship.agreement.signed", "sponsorship.agreement.countersigned")
AMENDED, SUPERSEDED, CANCELLED = ("sponsorship.agreement.amended", "sponsorship.agreement.superseded",
                                  "sponsorship.agreement.cancelled")
_STATE_FIELDS = ("status", "amount_fen", "support_kinds", "in_kind_value_fen", "in_kind_description",
                 "period_start", "period_end", "terms")


@dataclass(frozen=True)
class AgreementDetails:
    """What a party fills in; money in integer fen (parse_yuan turns the form's yuan into fen)."""

    amount_fen: int
    support_kinds: tuple[str, ...]
    period_start: date | None
    period_end: date | None
    terms: str
    in_kind_value_fen: int = 0
    in_kind_description: str = ""


# --- reading money --------------------------------------------------------------------------------------

def parse_yuan(text: str | None, field_name: str) -> int:
    """A yuan amount as typed (fair.money.parse_yuan: '120000', '1,200.5', '￥3000', full-width digits) in exact
    integer fen; empty is 0. Refused, next to `field_name`: not a plain number, negative, below a fen, more
    than MAX_AMOUNT_FEN."""
    try:
        amount = money.parse_yuan(text) or 0
    except money.NotAnAmount as error:
        if error.reason == "too_precise":
            raise Refused(_("金额最多保留两位小数（精确到分）。"), "too_precise", field_name) from None
        raise Refused(_("请填写数字金额（单位：元），例如 120000 或 3500.50。"), "not_a_number", field_name) from None
    if amount < 0:
        raise Refused(_("金额不能为负数。"), "negative", field_name)
    if amount > MAX_AMOUNT_FEN:
        raise Refused(_("金额不能超过 %(max)s。", max=yuan(MAX_AMOUNT_FEN)), "too_large", field_name)
    return amount


def check_details(details: AgreementDetails) -> AgreementDetails:
    """The details as they will be stored (kinds ordered, text normalised), or the first rule they break."""
    for name, amount in (("amount", details.amount_fen), ("in_kind_value", details.in_kind_value_fen)):
        if amount < 0:
            raise Refused(_("金额不能为负数。"), "negative", name)
        if amount > MAX_AMOUNT_FEN:
            raise Refused(_("金额不能超过 %(max)s。", max=yuan(MAX_AMOUNT_FEN)), "too_large", name)
    total = details.amount_fen + details.in_kind_value_fen
    if total <= 0:
        raise Refused(_("资金支持与实物及服务折合价值合计须大于零。"), "nothing_given", "amount")
    if total > MAX_AMOUNT_FEN:
        raise Refused(_("支持总值不能超过 %(max)s。", max=yuan(MAX_AMOUNT_FEN)), "too_large", "amount")
    kinds = agreement_text.ordered_kinds(details.support_kinds)
    if not kinds or len(kinds) != len(set(details.support_kinds)):
        raise Refused(_("请选择支持方式。"), "no_kind", "support_kinds")
    if details.amount_fen > 0 and "funds" not in kinds:
        raise Refused(_("填写了资金支持时，支持方式须包含“资金”。"), "funds_not_chosen", "support_kinds")
    if "funds" in kinds and details.amount_fen == 0:
        raise Refused(_("选择了“资金”时，请填写资金支持的金额。"), "funds_without_amount", "amount")
    description = agreement_text.normalise(details.in_kind_description)
    if details.in_kind_value_fen > 0 and kinds == ("funds",):
        raise Refused(_("填写了实物及服务折合价值时，请选择物资、志愿者、场地或专业服务中的至少一种。"),
                      "in_kind_not_chosen", "support_kinds")
    if details.in_kind_value_fen > 0 and not description:
        raise Refused(_("请说明实物或服务的内容。"), "no_description", "in_kind_description")
    if len(description) > DESCRIPTION_LENGTH:
        raise Refused(_("不能超过 %(n)d 个字。", n=DESCRIPTION_LENGTH), "too_long", "in_kind_description")
    if details.period_start is None:
        raise Refused(_("请填写支持期限的开始日期。"), "no_start", "period_start")
    if details.period_end is None:
        raise Refused(_("请填写支持期限的结束日期。"), "no_end", "period_end")
    if details.period_end < details.period_start:
        raise Refused(_("结束日期不能早于开始日期。"), "period_reversed", "period_end")
    if (details.period_end - details.period_start).days > MAX_PERIOD_DAYS:
        raise Refused(_("支持期限不能超过十年。"), "period_too_long", "period_end")
    terms = agreement_text.normalise(details.terms)
    if not terms:
        raise Refused(_("请填写协议条款。"), "no_terms", "terms")
    if len(terms) > TERMS_LENGTH:
        raise Refused(_("不能超过 %(n)d 个字。", n=TERMS_LENGTH), "too_long", "terms")
    return AgreementDetails(details.amount_fen, kinds, details.period_start, details.period_end, terms,
                            details.in_kind_value_fen, description)


def details_of(agreement: Agreement) -> AgreementDetails:
    return AgreementDetails(agreement.amount_fen, tuple(agreement.support_kinds or ()), agreement.period_start,
                            agreement.period_end, agreement.terms, agreement.in_kind_value_fen,
                            agreement.in_kind_description)


# --- the text ---------------------------------------------------------------------------------------------

def facts_of(agreement: Agreement) -> agreement_text.AgreementFacts:
    application = agreement.application
    return agreement_text.AgreementFacts(
        fair_name=agreement.fair.name, number=agreement.number, revision=agreement.revision,
        sponsor_name=agreement.sponsor.organisation.name, exhibitor_name=application.organisation.name,
        project_title=application.title, amount_fen=agreement.amount_fen,
        support_kinds=tuple(agreement.support_kinds or ()), in_kind_value_fen=agreement.in_kind_value_fen,
        in_kind_description=agreement.in_kind_description or "", period_start=agreement.period_start,
        period_end=agreement.period_end, terms=agreement.terms or "",
        amends_revision=agreement.amends.revision if agreement.amends_id else None)


def text_of(agreement: Agreement) -> str:
    """The exact text of this version: as the sponsor signed it once signed, as it reads now before."""
    if agreement.signed_text is not None:
        return agreement.signed_text
    return agreement_text.render(facts_of(agreement))


def text_sha256(agreement: Agreement) -> str:
    return agreement_text.sha256(text_of(agreement))


# --- who may do what --------------------------------------------------------------------------------------

def side_of(user: User | None, agreement: Agreement) -> Side | None:
    """The party `user` represents in this agreement, if any (the sponsor's first)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if represents_sponsor(user, agreement.sponsor):
        return Side.sponsor
    if represents_project(user, agreement.application):
        return Side.exhibitor
    return None


def can_view(user: User | None, agreement: Agreement) -> bool:
    """The parties' representatives and the fair's organizers."""
    return side_of(user, agreement) is not None or (
        getattr(user, "is_authenticated", False) and is_organizer(user, agreement.fair))


def _not_representative(agreement: Agreement, side: Side) -> Refused:
    if side is Side.sponsor:
        return Refused(_("只有支持方“%(name)s”的代表可以签署此协议。", name=agreement.sponsor.organisation.name),
                       "not_representative")
    return Refused(_("只有参展单位“%(name)s”的代表可以会签此协议。", name=agreement.application.organisation.name),
                   "not_representative")


def _refuse_closed(agreement: Agreement) -> None:
    if agreement.status is AgreementStatus.cancelled:
        raise Refused(_("此协议已取消，不能再签署或修改。"), "cancelled")
    if agreement.status is AgreementStatus.superseded:
        raise Refused(_("此版本已被修订版本取代，不能再签署或修改。"), "superseded")


def check_can_sign(agreement: Agreement, actor: User) -> None:
    """Step one: the sponsor's representative, on a draft. Refused with the reason otherwise."""
    if side_of(actor, agreement) is not Side.sponsor:
        raise _not_representative(agreement, Side.sponsor)
    _refuse_closed(agreement)
    if agreement.status is not AgreementStatus.draft:
        raise Refused(_("支持方已签署此协议，不能重复签署。"), "already_signed")


def check_can_countersign(agreement: Agreement, actor: User) -> None:
    """Step two: the exhibitor's representative, after the sponsor signed and before anyone countersigned."""
    if not represents_project(actor, agreement.application):
        raise _not_representative(agreement, Side.exhibitor)
    _refuse_closed(agreement)
    if agreement.status is AgreementStatus.draft:
        raise Refused(_("支持方尚未签署此协议，参展单位暂不能会签。"), "not_sponsor_signed")
    if agreement.status is AgreementStatus.signed:
        raise Refused(_("参展单位已会签此协议，不能重复签署。"), "already_signed")
    if agreement.amends_id and agreement.amends.status is not AgreementStatus.signed:
        raise Refused(_("被修订的第 %(revision)d 版已不再有效，此修订不能会签。", revision=agreement.amends.revision),
                      "amended_not_in_force")


def check_can_edit(agreement: Agreement, actor: User) -> None:
    if side_of(actor, agreement) is None:
        raise Refused(_("只有协议双方的代表可以修改协议。"), "not_representative")
    _refuse_closed(agreement)
    if agreement.status is not AgreementStatus.draft:
        raise Refused(_("支持方签署后，协议文本不能再修改；如需变更，请在签约后发起修订。"), "not_editable")


def check_can_amend(agreement: Agreement, actor: User) -> None:
    if side_of(actor, agreement) is None:
        raise Refused(_("只有协议双方的代表可以发起修订。"), "not_representative")
    if agreement.status is not AgreementStatus.signed:
        raise Refused(_("只有已签约且有效的协议可以修订。"), "not_signed")
    pending = open_version(agreement)
    if pending is not None:
        raise Refused(_("协议 %(number)s 已有一份未完成签署的修订（第 %(revision)d 版）。",
                        number=agreement.number, revision=pending.revision), "amendment_open")


def check_can_cancel(agreement: Agreement, actor: User) -> None:
    """Organizers cancel any version in force; a party's representative a draft or sponsor-signed one."""
    if agreement.status in (AgreementStatus.cancelled, AgreementStatus.superseded):
        raise Refused(_("此协议已%(status)s，不能取消。", status=agreement.status.label), "closed")
    if is_organizer(actor, agreement.fair):
        return
    if side_of(actor, agreement) is None:
        raise Refused(_("只有协议双方的代表或组织方可以取消协议。"), "not_representative")
    if agreement.status is AgreementStatus.signed:
        raise Refused(_("已签约的协议只能由组织方取消，请联系组织方。"), "signed_needs_organizer")


def allowed(agreement: Agreement, actor: User) -> set[str]:
    """The actions the detail page offers `actor`: edit, sign, countersign, amend, cancel."""
    checks = {"edit": check_can_edit, "sign": check_can_sign, "countersign": check_can_countersign,
              "amend": check_can_amend, "cancel": check_can_cancel}
    permitted = set()
    for name, check in checks.items():
        try:
            check(agreement, actor)
        except Refused:
            continue
        permitted.add(name)
    return permitted


def _check_version(agreement: Agreement, version: int | None) -> None:
    if version is not None and version != agreement.version:
        raise Refused(_("协议 %(number)s 刚被他人修改或签署，请查看当前内容后重试。", number=agreement.number), "conflict")


def _commit(message: str) -> None:
    """The version counter and the unique keys are the guards: a concurrent change is refused, not lost."""
    try:
        db.session.commit()
    except (IntegrityError, StaleDataError):
        db.session.rollback()
        raise Refused(message, "conflict") from None


def _state(agreement: Agreement) -> dict:
    return snapshot(agreement, _STATE_FIELDS)


# --- drafting ---------------------------------------------------------------------------------------------

def _next_number(fair: Fair) -> str:
    """The fair's next XY-0001 style number: the longest, then greatest, number so far plus one."""
    last = db.session.scalar(sa.select(Agreement.number).where(Agreement.fair_id == fair.id,
                                                               Agreement.number.like(f"{NUMBER_PREFIX}%"))
                             .order_by(sa.func.length(Agreement.number).desc(), Agreement.number.desc()).limit(1))
    digits = re.search(r"(\d+)$", last or "")
    return f"{NUMBER_PREFIX}{(int(digits.group(1)) if digits else 0) + 1:04d}"


def draft_agreement(fair: Fair, sponsor: SponsorProfile, application: Application, details: AgreementDetails, *,
                    actor: User, meeting: Meeting | None = None) -> Agreement:
    """A new agreement (revision 1, draft) between `sponsor` and an exhibited project, drafted by a
    representative of either party, with the fair's next number. Two drafting at once get two numbers:
    the unique (fair, number, revision) refuses the second, which takes the next."""
    if sponsor.fair_id != fair.id or application.fair_id != fair.id or (meeting and meeting.fair_id != fair.id):
        raise Refused(_("支持方和项目须属于同一届展会。"), "wrong_fair")
    if not is_placeable(application):
        raise Refused(_("只有参展项目可以签订支持协议。"), "not_exhibited", "application_id")
    if sponsor.organisation_id == application.organisation_id:
        raise Refused(_("支持方不能与本单位的项目签订支持协议。"), "same_organisation", "application_id")
    if represents_sponsor(actor, sponsor):
        side = Side.sponsor
    elif represents_project(actor, application):
        side = Side.exhibitor
    else:
        raise Refused(_("只有支持方或该项目所属单位的代表可以起草协议。"), "not_representative")
    clean = check_details(details)
    for _attempt in range(NUMBER_TRIES):
        agreement = Agreement(
            fair_id=fair.id, number=_next_number(fair), revision=1, sponsor_id=sponsor.id,
            application_id=application.id, meeting_id=meeting.id if meeting else None, status=AgreementStatus.draft,
            drafted_by_side=side, drafted_by_id=actor.id, verification_code=public_code(),
            **_columns(clean))
        db.session.add(agreement)
        try:
            db.session.flush()
            audit(actor, DRAFTED, agreement, fair=fair, after=_state(agreement) | {"side": side.value})
            db.session.commit()
            return agreement
        except IntegrityError:
            db.session.rollback()           # another draft took this number: read the next one
    raise Refused(_("协议编号分配冲突，请重试。"), "conflict")


def _columns(details: AgreementDetails) -> dict:
    return {"amount_fen": details.amount_fen, "support_kinds": list(details.support_kinds),
            "in_kind_value_fen": details.in_kind_value_fen, "in_kind_description": details.in_kind_description,
            "period_start": details.period_start, "period_end": details.period_end, "terms": details.terms}


def update_draft(agreement: Agreement, details: AgreementDetails, *, actor: User, version: int | None) -> Agreement:
    """Either party changes a draft, as the page showed it (`version`)."""
    check_can_edit(agreement, actor)
    _check_version(agreement, version)
    clean = check_details(details)
    before = _state(agreement)
    for name, value in _columns(clean).items():
        setattr(agreement, name, value)
    audit(actor, EDITED, agreement, before=before, after=_state(agreement))
    _commit(_("协议 %(number)s 刚被他人修改或签署，您的修改未保存，请查看当前内容后重试。", number=agreement.number))
    return agreement


# --- signing ----------------------------------------------------------------------------------------------

def _signature(agreement: Agreement, side: Side, actor: User, digest: str, address: str) -> Signature:
    signature = Signature(agreement=agreement, side=side, user_id=actor.id, signer_name=actor.name[:80],
                          text_sha256=digest, signed_at=utcnow(), address=(address or "")[:45])
    db.session.add(signature)
    return signature


def _check_text(agreement: Agreement, shown_sha256: str) -> str:
    digest = text_sha256(agreement)
    if (shown_sha256 or "").strip().lower() != digest:
        raise Refused(_("协议文本已变更，与您确认的版本不一致，未签署。请重新阅读当前文本后再签署。"), "text_changed")
    return digest


def sign(agreement: Agreement, actor: User, text_sha256: str, address: str = "") -> Signature:
    """Step one: the sponsor's representative confirms the text whose hash the page showed. From here on
    the text is read-only."""
    check_can_sign(agreement, actor)
    digest = _check_text(agreement, text_sha256)
    agreement.signed_text = text_of(agreement)
    signature = _signature(agreement, Side.sponsor, actor, digest, address)
    agreement.status = AgreementStatus.sponsor_signed
    audit(actor, SIGNED, agreement, before={"status": AgreementStatus.draft.value},
          after={"status": agreement.status.value, "text_sha256": digest, "signer": signature.signer_name})
    _commit(_("协议 %(number)s 刚被他人签署或修改，未重复签署。请查看当前状态。", number=agreement.number))
    return signature


def countersign(agreement: Agreement, actor: User, text_sha256: str, address: str = "") -> Signature:
    """Step two: the exhibitor's representative confirms the same text the sponsor signed; the agreement
    is then signed. An amendment's countersignature supersedes the version it amends and moves that
    version's payments to this one, in the same transaction."""
    check_can_countersign(agreement, actor)
    digest = _check_text(agreement, text_sha256)
    sponsor_signature = next(s for s in agreement.signatures if s.side is Side.sponsor)
    if sponsor_signature.text_sha256 != digest:
        raise Refused(_("协议文本在支持方签署后发生了变化，与支持方签署的文本不一致，不能会签。请联系组织方。"),
                      "text_changed")
    signature = _signature(agreement, Side.exhibitor, actor, digest, address)
    agreement.status, agreement.signed_at = AgreementStatus.signed, signature.signed_at
    audit(actor, COUNTERSIGNED, agreement, before={"status": AgreementStatus.sponsor_signed.value},
          after={"status": agreement.status.value, "text_sha256": digest, "signer": signature.signer_name})
    if agreement.amends_id:
        _supersede(agreement.amends, agreement, actor)
    _commit(_("协议 %(number)s 刚被他人会签或修改，未重复签署。请查看当前状态。", number=agreement.number))
    return signature


def _supersede(old: Agreement, new: Agreement, actor: User) -> None:
    moved = [payment.id for payment in old.payments]
    for payment in list(old.payments):
        payment.agreement = new
    old.status = AgreementStatus.superseded
    audit(actor, SUPERSEDED, old, before={"status": AgreementStatus.signed.value},
          after={"status": old.status.value, "superseded_by": new.id, "revision": new.revision,
                 "payments_moved": moved})


# --- amendments and cancellation --------------------------------------------------------------------------

def open_version(agreement: Agreement) -> Agreement | None:
    """The draft or sponsor-signed version of the same number, if one is open."""
    return db.session.scalar(sa.select(Agreement).where(
        Agreement.fair_id == agreement.fair_id, Agreement.number == agreement.number, Agreement.status.in_(OPEN)))


def amend(agreement: Agreement, *, actor: User) -> Agreement:
    """A new draft version of a signed agreement (same number, next revision, fields copied), which goes
    through both signatures; the signed version stays in force until then."""
    check_can_amend(agreement, actor)
    revision = db.session.scalar(sa.select(sa.func.max(Agreement.revision)).where(
        Agreement.fair_id == agreement.fair_id, Agreement.number == agreement.number)) + 1
    amendment = Agreement(
        fair_id=agreement.fair_id, number=agreement.number, revision=revision, amends_id=agreement.id,
        sponsor_id=agreement.sponsor_id, application_id=agreement.application_id, meeting_id=agreement.meeting_id,
        status=AgreementStatus.draft, drafted_by_side=side_of(actor, agreement), drafted_by_id=actor.id,
        verification_code=public_code(), **_columns(details_of(agreement)))
    db.session.add(amendment)
    try:
        db.session.flush()
        audit(actor, AMENDED, amendment, after=_state(amendment) | {"amends": agreement.id, "revision": revision})
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Refused(_("协议 %(number)s 刚被他人发起修订，请查看当前状态。", number=agreement.number),
                      "amendment_open") from None
    return amendment


def cancel(agreement: Agreement, *, actor: User, reason: str, version: int | None = None) -> Agreement:
    """Cancel with a reason: a party a version not yet signed by both, an organizer any version in force.
    An organizer cancelling a signed agreement also cancels its open amendment."""
    reason = (reason or "").strip()
    if not reason:
        raise Refused(_("请填写取消原因。"), "no_reason", "reason")
    if len(reason) > REASON_LENGTH:
        raise Refused(_("不能超过 %(n)d 个字。", n=REASON_LENGTH), "too_long", "reason")
    check_can_cancel(agreement, actor)
    _check_version(agreement, version)
    targets = [agreement]
    if agreement.status is AgreementStatus.signed:
        targets += [pending for pending in [open_version(agreement)] if pending is not None]
    now = utcnow()
    for target in targets:
        before = {"status": target.status.value}
        target.status, target.cancelled_at, target.cancelled_by_id = AgreementStatus.cancelled, now, actor.id
        target.cancel_reason = reason
        audit(actor, CANCELLED, target, before=before, after={"status": target.status.value, "reason": reason})
    _commit(_("协议 %(number)s 刚被他人签署或修改，未取消。请查看当前状态后重试。", number=agreement.number))
    return agreement


# --- reads for the pages ----------------------------------------------------------------------------------

def _loaded():
    return (joinedload(Agreement.sponsor).joinedload(SponsorProfile.organisation),
            joinedload(Agreement.application).joinedload(Application.organisation))


def agreement_in(fair: Fair, agreement_id: int) -> Agreement | None:
    """One version of this fair with what its pages show, or None (another fair's id included)."""
    return db.session.scalar(sa.select(Agreement).where(Agreement.id == agreement_id, Agreement.fair_id == fair.id)
                             .options(*_loaded(), selectinload(Agreement.signatures), joinedload(Agreement.amends),
                                      joinedload(Agreement.fair)))


def by_verification_code(fair: Fair, code: str) -> Agreement | None:
    if not 16 <= len(code) <= 32:
        return None
    return db.session.scalar(sa.select(Agreement).where(Agreement.fair_id == fair.id,
                                                        Agreement.verification_code == code)
                             .options(*_loaded(), selectinload(Agreement.signatures)))


def versions_of(agreement: Agreement) -> list[Agreement]:
    """Every version of the agreement's number, newest first."""
    return db.session.scalars(sa.select(Agreement).where(
        Agreement.fair_id == agreement.fair_id, Agreement.number == agreement.number)
        .order_by(Agreement.revision.desc())).all()


def events_of(agreement: Agreement) -> list[AuditEvent]:
    """The version's timeline: drafted, edited, signed, countersigned, superseded or cancelled."""
    return db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.fair_id == agreement.fair_id, AuditEvent.object_type == Agreement.__tablename__,
        AuditEvent.object_id == str(agreement.id)).order_by(AuditEvent.at, AuditEvent.id)).all()


def _scope(fair: Fair, user: User, everything: bool) -> list:
    """Organizers see every agreement; a representative those of their sponsor or their organisation's projects."""
    conditions = [Agreement.fair_id == fair.id]
    if everything:
        return conditions
    sponsor = sponsor_of(user, fair)
    mine = []
    if sponsor is not None:
        mine.append(Agreement.sponsor_id == sponsor.id)
    if user.organisation_id is not None and user.has_role(fair, Role.exhibitor):
        mine.append(Agreement.application_id.in_(sa.select(Application.id).where(
            Application.fair_id == fair.id, Application.organisation_id == user.organisation_id)))
    return conditions + [sa.or_(*mine) if mine else sa.false()]


@dataclass
class Listing:
    page: Pagination
    counts: dict[AgreementStatus, int] = field(default_factory=dict)

    @property
    def current(self) -> int:
        """Every version but the superseded ones: what the list shows without a status filter."""
        return sum(count for status, count in self.counts.items() if status is not AgreementStatus.superseded)


def list_agreements(fair: Fair, user: User, *, everything: bool, status: AgreementStatus | None = None,
                    page: int = 1, per_page: int = 50) -> Listing:
    """A page of the agreements `user` may see, newest number first, and the counts per status: three
    queries whatever the number of agreements. Without a status, superseded versions are left out."""
    conditions = _scope(fair, user, everything)
    counts = dict.fromkeys(AgreementStatus, 0)
    counts.update(dict(db.session.execute(sa.select(Agreement.status, sa.func.count(Agreement.id))
                                          .where(*conditions).group_by(Agreement.status)).all()))
    shown = [Agreement.status == status] if status else [Agreement.status != AgreementStatus.superseded]
    query = (sa.select(Agreement).where(*conditions, *shown).options(*_loaded())
             .order_by(sa.func.length(Agreement.number).desc(), Agreement.number.desc(), Agreement.revision.desc()))
    pagination = db.paginate(query, page=max(page, 1), per_page=per_page, error_out=False, count=False)
    listing = Listing(pagination, counts)
    pagination.total = counts[status] if status else listing.current
    return listing


@dataclass
class Ceremony:
    """The signing-ceremony list of one day: versions ready to sign, then those signed that day."""

    day: date
    ready: list[Agreement]
    signed: list[Agreement]

    @property
    def signed_total_fen(self) -> int:
        return sum(agreement.total_value_fen for agreement in self.signed)


def ceremony(fair: Fair, day: date) -> Ceremony:
    """Ready (sponsor-signed first, awaiting the countersignature; then drafts) by number, and those in
    force that were countersigned on `day` in the fair's timezone, by time: two queries."""
    starts = start_of_day(day, fair.timezone)
    ends = start_of_day(day + timedelta(days=1), fair.timezone)
    ready = db.session.scalars(sa.select(Agreement).where(Agreement.fair_id == fair.id, Agreement.status.in_(OPEN))
                               .options(*_loaded()).order_by(
        sa.case((Agreement.status == AgreementStatus.sponsor_signed, 0), else_=1),
        sa.func.length(Agreement.number), Agreement.number)).all()
    signed = db.session.scalars(sa.select(Agreement).where(
        Agreement.fair_id == fair.id, Agreement.signed_at >= starts, Agreement.signed_at < ends,
        Agreement.status == AgreementStatus.signed)
        .options(*_loaded()).order_by(Agreement.signed_at, Agreement.id)).all()
    return Ceremony(day, ready, signed)


def today(fair: Fair, now: datetime | None = None) -> date:
    """The fair's calendar day now, in its timezone."""
    return to_local(now or utcnow(), fair.timezone).date()
