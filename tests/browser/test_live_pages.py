"""The live pages update in place from their JSON (static/js/poll.js): a signing appears on the venue's
signing wall, and a new visitor in the organizer's dashboard, without a reload and with no console or CSP
error. (The public fair-in-numbers page runs the same script, every 30 s.)"""
import sqlalchemy as sa
from playwright.sync_api import expect

from fair.applications.models import Application
from fair.booths.placing import PLACEABLE
from fair.demo import DEMO_SLUG
from fair.extensions import db
from fair.visitors.models import Ticket
from sponsorship.models import SponsorProfile
from tests.browser.conftest import log_in
from tests.sponsor_factories import make_agreement
from tests.visitor_factories import make_ticket

WAIT_MS = 25_000          # the dashboard polls every 10 s


def people_registered() -> int:
    return db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(Ticket.group_size), 0))
                             .where(Ticket.revoked_at.is_(None)))


def test_a_signing_appears_on_the_wall_without_a_reload(page, problems, demo):
    page.goto(f"/fairs/{DEMO_SLUG}/sponsorship/wall")
    agreements = page.locator('[data-figure="agreements"]')
    before = int(agreements.inner_text())
    sponsor = db.session.scalars(sa.select(SponsorProfile).order_by(SponsorProfile.id)).all()[-1]
    project = db.session.scalars(sa.select(Application).where(PLACEABLE).order_by(Application.id.desc())).first()
    make_agreement(sponsor, project, amount_fen=66_600_000)
    expect(agreements).to_have_text(str(before + 1), timeout=WAIT_MS)
    assert project.title in page.locator("[data-latest]").inner_text()
    assert problems.messages == []


def test_the_dashboard_counts_a_new_visitor_live(page, problems, demo):
    log_in(page, "organizer@demo.fair")
    page.goto(f"/fairs/{DEMO_SLUG}/console")
    figure = page.locator('[data-figure="visitors_registered"]').first
    registered = people_registered()
    expect(figure).to_have_text(f"{registered:,}")
    make_ticket(demo.fair, name="新来的观众", phone="13700001234")
    expect(figure).to_have_text(f"{registered + 1:,}", timeout=WAIT_MS)
    assert problems.messages == []
