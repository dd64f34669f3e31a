"""Sponsorship's figures in the console's registry: exactly the signed agreements in force, the meetings both
sides agreed to, the sponsors and the caring units."""
from fair.console import stats
from sponsorship.models import AgreementStatus, CaringUnit, Meeting, MeetingStatus, Side
from fair.extensions import db
from tests.sponsor_factories import make_agreement, make_meeting_area, make_project, make_sponsor


def test_the_figures_count_signed_agreements_in_force_and_agreed_meetings(fair):
    first, second = make_sponsor(fair), make_sponsor(fair)
    projects = [make_project(fair) for _ in range(3)]
    make_agreement(first, projects[0], amount_fen=12_000_000)
    make_agreement(second, projects[0], amount_fen=3_000_000)
    make_agreement(second, projects[1], amount_fen=5_000_000)
    make_agreement(first, projects[2], amount_fen=9_900_000, status=AgreementStatus.sponsor_signed)
    make_agreement(first, projects[2], amount_fen=7_700_000, status=AgreementStatus.cancelled)
    _tables, slots = make_meeting_area(fair, slots=3)
    for slot, status in zip(slots, (MeetingStatus.accepted, MeetingStatus.held, MeetingStatus.declined)):
        db.session.add(Meeting(fair_id=fair.id, sponsor_id=first.id, application_id=projects[0].id,
                               requested_by_side=Side.sponsor, status=status, slot_id=slot.id, code=f"code-{slot.id}"))
    db.session.add(CaringUnit(fair_id=fair.id, organisation_id=first.organisation_id, certificate_code="c" * 32))
    db.session.commit()
    found = stats.figures(fair)
    assert {name: found[name] for name in ("sponsors", "meetings", "agreements_signed", "projects_funded",
                                           "amount_signed_fen", "caring_units")} == {
        "sponsors": 2, "meetings": 2, "agreements_signed": 3, "projects_funded": 2, "amount_signed_fen": 20_000_000,
        "caring_units": 1}
