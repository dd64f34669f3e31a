from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from fair.audit.models import AuditEvent
from fair.auth import services as auth
from fair.auth.models import Role
from fair.extensions import db
from fair.fairs import services as fairs
from fair.fairs.models import Phase
from tests.conftest import queries_for
from tests.factories import make_member, make_user


def test_organizer_reads_the_log_filtered(client_as, fair, organizer):
    fairs.move_phase(fair, Phase.applications_open, actor=organizer)
    make_member(fair, Role.judge, name="陈慧敏", email="chen@example.cn")    # granted by the system
    client = client_as(Role.organizer)
    page = client.get(f"/fairs/{fair.slug}/audit").get_data(as_text=True)
    assert "fairs.fair.phase_changed" in page and "fairs.fair.created" in page
    assert "<del>draft</del> → applications_open" in page

    only_phases = client.get(f"/fairs/{fair.slug}/audit", query_string={"action": "fairs.fair.phase_changed"})
    text = only_phases.get_data(as_text=True)
    assert "共 1 条记录" in text

    by_actor = client.get(f"/fairs/{fair.slug}/audit", query_string={"actor": "ORGANIZER@"}).get_data(as_text=True)
    assert "共 2 条记录" in by_actor      # the fair's creation and its phase change
    assert "陈慧敏" not in by_actor


def test_date_filter_uses_the_fairs_timezone(client_as, fair, organizer):
    # 2027-01-01 23:30 UTC is already 2 January in Shanghai
    auth.grant_role(fair, make_user(), Role.judge, actor=organizer)
    entry = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "auth.membership.created"))
    entry.at = datetime(2027, 1, 1, 23, 30, tzinfo=timezone.utc)
    db.session.commit()
    client = client_as(Role.organizer)
    on_second = client.get(f"/fairs/{fair.slug}/audit", query_string={
        "action": "auth.membership.created", "since": "2027-01-02", "until": "2027-01-02"}).get_data(as_text=True)
    assert "共 1 条记录" in on_second
    on_first = client.get(f"/fairs/{fair.slug}/audit", query_string={
        "action": "auth.membership.created", "since": "2027-01-01", "until": "2027-01-01"}).get_data(as_text=True)
    assert "共 0 条记录" in on_first


def test_bad_filter_values_are_ignored(client_as, fair):
    response = client_as(Role.organizer).get(f"/fairs/{fair.slug}/audit",
                                             query_string={"since": "yesterday", "page": "-3", "action": "%"})
    assert response.status_code == 200


def test_only_organizers_read_the_log(client_as, fair):
    for role in (Role.judge, Role.reviewer, Role.sponsor, Role.exhibitor, Role.gate_staff):
        assert client_as(role).get(f"/fairs/{fair.slug}/audit").status_code == 403


def test_log_page_queries_do_not_grow_with_events(client_as, fair, organizer):
    client = client_as(Role.organizer)

    def queries() -> int:
        return queries_for(client, f"/fairs/{fair.slug}/audit")

    few = queries()
    for number in range(80):
        fairs.move_phase(fair, Phase.applications_open if number % 2 == 0 else Phase.draft,
                         actor=make_user() if number < 10 else organizer)
    assert queries() == few
    page_two = client.get(f"/fairs/{fair.slug}/audit", query_string={"page": 2, "action": "fairs.fair.phase_changed"})
    text = page_two.get_data(as_text=True)
    assert "共 80 条记录" in text and text.count("<code>fairs.fair.phase_changed</code>") == 30
    assert f'/fairs/{fair.slug}/audit?page=1&amp;action=fairs.fair.phase_changed"' in text   # the filter stays


def test_change_and_its_event_land_together(fair, organizer, monkeypatch):
    """If writing the event fails, the change is not saved either."""
    import fair.fairs.services as fair_services

    def failing_audit(*args, **kwargs):
        raise RuntimeError("audit store down")

    monkeypatch.setattr(fair_services, "audit", failing_audit)
    with pytest.raises(RuntimeError):
        fair_services.move_phase(fair, Phase.applications_open, actor=organizer)
    db.session.rollback()
    assert db.session.get(type(fair), fair.id).phase == Phase.draft


def test_values_are_shown_as_people_read_them(client_as, fair, organizer):
    from tests.factories import make_application
    make_application(fair, funding_need_fen=12_000_050)
    page = client_as(Role.organizer).get(f"/fairs/{fair.slug}/audit",
                                         query_string={"action": "applications.application."})
    text = page.get_data(as_text=True)
    assert "¥120,000.50" in text
    assert "2027/1/11 09:00" in text            # submitted_at, 01:00 UTC shown in Shanghai time
    assert "+00:00" not in text
