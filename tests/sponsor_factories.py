"""Sponsorship test data. Rows are added directly (test data, not a person's change); tests of the
services themselves call the services."""
import itertools
from datetime import date, datetime, timedelta, timezone

from fair.auth.models import OrganisationKind, Role
from fair.documents.codes import public_code
from fair.extensions import db
from fair.fairs.models import Fair
from fair.times import utcnow
from sponsorship import agreements
from sponsorship.models import (Agreement, AgreementStatus, MeetingSlot, MeetingTable, Side, Signature,
                                SponsorProfile)
from tests.factories import make_member, make_organisation, make_shortlisted

_numbers = itertools.count(1)


def make_sponsor(fair: Fair, *, kind: OrganisationKind = OrganisationKind.enterprise, organisation=None,
                 **overrides) -> SponsorProfile:
    """A sponsor's profile (a new organisation of `kind` unless given), focus on the fair's first category,
    region 南京市, budget ¥50,000–¥500,000, offering funds."""
    number = next(_numbers)
    organisation = organisation or make_organisation(name=f"爱心企业{number}", kind=kind)
    values = {"focus_category_ids": [fair.categories[0].id], "regions": ["南京市"], "budget_min_fen": 5_000_000,
              "budget_max_fen": 50_000_000, "support_offered": ["funds"], "introduction": "长期支持社区公益。"}
    values.update(overrides)
    profile = SponsorProfile(fair_id=fair.id, organisation_id=organisation.id, **values)
    db.session.add(profile)
    db.session.commit()
    return profile


def make_representative(sponsor: SponsorProfile, **overrides):
    """A user of the sponsor's organisation with the sponsor role in its fair."""
    return make_member(sponsor.fair, Role.sponsor, organisation=sponsor.organisation, **overrides)


def make_project(fair: Fair, **overrides):
    """One exhibited (shortlisted) project of a new organisation."""
    return make_shortlisted(fair, 1, **overrides)[0]


def make_project_representative(application, **overrides):
    """A user of the project's organisation with the exhibitor role in its fair."""
    return make_member(application.fair, Role.exhibitor, organisation=application.organisation, **overrides)


def make_meeting_area(fair: Fair, *, tables: int = 2, slots: int = 4, minutes: int = 30,
                      first: datetime | None = None) -> tuple[list[MeetingTable], list[MeetingSlot]]:
    """`tables` negotiation tables and `slots` back-to-back slots of `minutes` from 09:00 (UTC+8) on
    the fair's first day."""
    first = first or datetime.combine(fair.starts_on, datetime.min.time(), tzinfo=timezone.utc) + timedelta(hours=1)
    made_tables = [MeetingTable(fair_id=fair.id, name=f"洽谈桌 {n + 1:02d}", position=n) for n in range(tables)]
    made_slots = [MeetingSlot(fair_id=fair.id, starts_at=first + timedelta(minutes=minutes * n),
                              ends_at=first + timedelta(minutes=minutes * (n + 1))) for n in range(slots)]
    db.session.add_all(made_tables + made_slots)
    db.session.commit()
    return made_tables, made_slots


def make_agreement(sponsor: SponsorProfile, application, *, amount_fen: int = 10_000_000,
                   status: AgreementStatus = AgreementStatus.signed, **overrides) -> Agreement:
    """An agreement in `status`; signed ones carry their text and both signatures (rows added directly)."""
    number = next(_numbers)
    values = {"number": f"T-{number:04d}", "support_kinds": ["funds"], "period_start": date(2027, 6, 1),
              "period_end": date(2028, 5, 31), "terms": "支持方资助项目运营，项目方按季度报告进展。",
              "drafted_by_side": Side.sponsor, "verification_code": public_code()}
    values.update(overrides)
    agreement = Agreement(fair_id=sponsor.fair_id, sponsor_id=sponsor.id, application_id=application.id,
                          amount_fen=amount_fen, status=status, **values)
    db.session.add(agreement)
    db.session.flush()
    sides = {AgreementStatus.sponsor_signed: [Side.sponsor],
             AgreementStatus.signed: [Side.sponsor, Side.exhibitor]}.get(status, [])
    if sides:
        agreement.signed_text = agreements.text_of(agreement)
    digest = agreements.text_sha256(agreement)
    for side in sides:
        db.session.add(Signature(agreement_id=agreement.id, side=side, signer_name="签署人", text_sha256=digest))
    if status is AgreementStatus.signed:
        agreement.signed_at = utcnow()
    db.session.commit()
    return agreement
