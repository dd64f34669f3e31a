"""Sponsorship's figures for the console (fair/console/stats.py documents each): sponsors, meetings agreed,
and the ledger's signed totals. Imported by sponsorship/views.py, so the console's registry has it
whenever the app has sponsorship."""
import sqlalchemy as sa

from fair.console.stats import stat_source
from fair.extensions import db
from fair.fairs.models import Fair
from sponsorship import ledger
from sponsorship.models import Meeting, MeetingStatus, SponsorProfile

AGREED = (MeetingStatus.accepted, MeetingStatus.held)


@stat_source
def sponsorship_figures(fair: Fair) -> dict:
    """Two counts in one query, the ledger's totals in three more."""
    sponsors, meetings = db.session.execute(sa.select(
        sa.select(sa.func.count(SponsorProfile.id)).where(SponsorProfile.fair_id == fair.id).scalar_subquery(),
        sa.select(sa.func.count(Meeting.id)).where(Meeting.fair_id == fair.id, Meeting.status.in_(AGREED))
        .scalar_subquery())).one()
    totals = ledger.totals(fair, breakdowns=False)
    return {"sponsors": sponsors, "meetings": meetings, "agreements_signed": totals.signed_count,
            "projects_funded": totals.projects_funded, "amount_signed_fen": totals.signed_fen,
            "caring_units": totals.caring_units}
