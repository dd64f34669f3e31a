"""`fair purge-personal-data`: after a closed fair no visitor name or phone is left, every figure stays."""
import json

import pytest
import sqlalchemy as sa

from fair.audit.models import AuditEvent
from fair.auth.models import Organisation
from fair.console.stats import figures
from fair.extensions import db
from fair.fairs import services as fairs
from fair.fairs.models import Phase
from fair.privacy import ACTION, placeholder_name, purge_personal_data
from fair.refusal import Refused
from fair.visitors.models import BoothVisit, Ticket
from sponsorship.models import SponsorProfile
from tests.factories import make_fair, make_organisation
from tests.sponsor_factories import make_sponsor
from tests.web.test_backup import populated_fair, rows_of


def closed_fair():
    fair = populated_fair()
    for profile in db.session.scalars(sa.select(SponsorProfile).where(SponsorProfile.fair_id == fair.id)):
        profile.contact_name, profile.contact_phone = "王经理", "13812345678"
    db.session.commit()
    organizer = fair.memberships[0].user
    return fairs.move_phase(fair, Phase.closed, actor=organizer)


def personal_values(fair) -> set[str]:
    names_phones = db.session.execute(sa.select(Ticket.name, Ticket.phone).where(Ticket.fair_id == fair.id)).all()
    return {value for row in names_phones for value in row if value}


def test_purge_keeps_every_figure_and_leaves_no_name_or_phone():
    fair = closed_fair()
    before_figures = figures(fair)
    personal = personal_values(fair)
    tickets_before = db.session.execute(sa.select(Ticket.id, Ticket.kind, Ticket.group_size, Ticket.code)
                                        .where(Ticket.fair_id == fair.id).order_by(Ticket.id)).all()
    visits_before = db.session.scalar(sa.select(sa.func.count(BoothVisit.id)))

    purged = purge_personal_data(fair, actor=None)

    db.session.expire_all()
    assert figures(fair) == before_figures
    assert purged.tickets == len(tickets_before) and purged.booth_contacts == 3 and purged.sponsor_contacts >= 1
    assert db.session.execute(sa.select(Ticket.id, Ticket.kind, Ticket.group_size, Ticket.code)
                              .where(Ticket.fair_id == fair.id).order_by(Ticket.id)).all() == tickets_before
    left = db.session.execute(sa.select(Ticket.id, Ticket.name, Ticket.phone).where(Ticket.fair_id == fair.id)).all()
    assert all(name == placeholder_name(ticket_id) and phone == "" for ticket_id, name, phone in left)
    assert db.session.scalar(sa.select(sa.func.count(BoothVisit.id))) == visits_before
    assert db.session.scalar(sa.select(sa.func.count(BoothVisit.id)).where(
        sa.or_(BoothVisit.shared_name != "", BoothVisit.shared_phone != "", BoothVisit.shared_note != ""))) == 0
    assert db.session.scalar(sa.select(sa.func.count(SponsorProfile.id)).where(
        SponsorProfile.fair_id == fair.id, sa.or_(SponsorProfile.contact_name != "",
                                                   SponsorProfile.contact_phone != ""))) == 0
    # The audit log kept copies in labels and before/after: none of the names or phones is left there.
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.fair_id == fair.id)).all()
    text = "\n".join(event.object_label + json.dumps([event.before, event.after], ensure_ascii=False)
                     for event in events)
    names = {value for value in personal if not value.isdigit()}
    assert names and not [name for name in names if name in text]
    assert "王经理" not in text
    [event] = [event for event in events if event.action == ACTION]
    assert event.after["tickets"] == len(tickets_before)
    assert not personal & set(json.dumps(event.after, ensure_ascii=False).split())


def test_a_second_run_changes_nothing():
    fair = closed_fair()
    purge_personal_data(fair, actor=None)
    before = rows_of(db.engine)
    again = purge_personal_data(fair, actor=None)
    assert not again.changed
    assert rows_of(db.engine) == before


def test_refused_while_the_fair_is_live_and_nothing_is_written():
    fair = populated_fair()
    assert fair.phase is Phase.live
    before = rows_of(db.engine)
    with pytest.raises(Refused) as refused:
        purge_personal_data(fair, actor=None)
    assert refused.value.code == "not_closed"
    assert rows_of(db.engine) == before


def test_only_organisations_of_this_fair_alone_lose_their_contact():
    fair = closed_fair()
    alone = make_organisation(name="只参加本届", contact_name="李四", contact_phone="13700000001")
    shared = make_organisation(name="也参加别届", contact_name="张三", contact_phone="13700000002")
    make_sponsor(fair, organisation=alone)
    make_sponsor(fair, organisation=shared)
    make_sponsor(make_fair(fair.memberships[0].user, slug="other-2027"), organisation=shared)
    purged = purge_personal_data(fair, actor=None)
    db.session.expire_all()
    assert (db.session.get(Organisation, alone.id).contact_name, db.session.get(Organisation, alone.id).contact_phone) == ("", "")
    assert (db.session.get(Organisation, shared.id).contact_name, db.session.get(Organisation, shared.id).contact_phone) == \
        ("张三", "13700000002")
    assert purged.organisation_contacts >= 1


def test_the_command_asks_refuses_a_live_fair_and_reports_counts(app):
    fair = populated_fair()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["purge-personal-data", "--fair", fair.slug, "--yes"])
    assert result.exit_code == 1 and "not_closed" in result.output
    organizer = fair.memberships[0].user
    fairs.move_phase(fair, Phase.closed, actor=organizer)
    result = runner.invoke(args=["purge-personal-data", "--fair", fair.slug], input="n\n")
    assert result.exit_code == 1
    assert db.session.scalar(sa.select(sa.func.count(Ticket.id)).where(Ticket.phone != "")) > 0
    result = runner.invoke(args=["purge-personal-data", "--fair", fair.slug, "--yes"])
    assert result.exit_code == 0, result.output
    assert "tickets: " in result.output
    assert db.session.scalar(sa.select(sa.func.count(Ticket.id)).where(Ticket.phone != "")) == 0
    result = runner.invoke(args=["purge-personal-data", "--fair", fair.slug, "--yes"])
    assert "Nothing left to remove." in result.output
