"""The small demo's sponsorship, built through the services: what the demo sponsor and the demo exhibitor
find when they log in."""
import sqlalchemy as sa

from fair.auth import services as auth
from fair.demo import DEMO_SLUG
from fair.extensions import db
from fair.fairs.models import Fair
from sponsorship.models import Agreement, AgreementStatus, CaringUnit, Meeting, MeetingStatus, SponsorProfile


def test_the_demo_sponsor_has_met_signed_and_waits_for_a_countersignature(app):
    result = app.test_cli_runner().invoke(args=["demo", "--no-serve"])
    assert result.exit_code == 0, result.output
    fair = db.session.scalar(sa.select(Fair).where(Fair.slug == DEMO_SLUG))
    sponsor, exhibitor = auth.find_user("sponsor@demo.fair"), auth.find_user("exhibitor@demo.fair")
    profiles = db.session.scalars(sa.select(SponsorProfile).where(SponsorProfile.fair_id == fair.id)).all()
    assert len(profiles) == 3 and sponsor.organisation_id in {profile.organisation_id for profile in profiles}

    agreements = db.session.scalars(sa.select(Agreement).order_by(Agreement.id)).all()
    assert [agreement.status for agreement in agreements] == [AgreementStatus.signed, AgreementStatus.sponsor_signed]
    signed, waiting = agreements
    assert signed.sponsor.organisation_id == sponsor.organisation_id and len(signed.signatures) == 2
    assert waiting.application.organisation_id == exhibitor.organisation_id      # the demo exhibitor countersigns

    meetings = db.session.scalars(sa.select(Meeting).order_by(Meeting.id)).all()
    assert [meeting.status for meeting in meetings] == [MeetingStatus.accepted, MeetingStatus.requested]
    assert meetings[0].slot_id and meetings[0].table_id and signed.meeting_id == meetings[0].id
    assert meetings[1].application.organisation_id == exhibitor.organisation_id    # the demo exhibitor answers
    assert db.session.scalar(sa.select(sa.func.count(CaringUnit.id))) == 1
