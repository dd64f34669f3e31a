from datetime import datetime, timezone

import sqlalchemy as sa

from fair.audit.models import AuditEvent
from fair.auth.models import Role
from fair.extensions import db
from fair.fairs.models import Fair, Phase
from tests.conftest import queries_for
from tests.factories import make_fair

FORM = {
    "name": "2027年江苏省志愿服务项目展示交流会", "slug": "js-2027", "city": "南京市", "venue": "南京国际博览中心",
    "starts_on": "2027-05-20", "ends_on": "2027-05-22",
    "applications_open_at": "2027-01-10T09:00", "applications_close_at": "2027-03-31T17:00",
    "timezone": "Asia/Shanghai", "categories": "助老 | Elderly care\n环保 | Environment\n社区治理",
}


def _fairs() -> int:
    return db.session.scalar(sa.select(sa.func.count(Fair.id)))


def test_admin_creates_a_fair(client_as, organizer):
    response = client_as(Role.organizer).post("/fairs/new", data=FORM)
    assert response.status_code == 302
    fair = db.session.scalar(sa.select(Fair).where(Fair.slug == "js-2027"))
    assert response.headers["Location"] == "/fairs/js-2027/"
    assert fair.phase == Phase.draft
    assert [(c.name, c.name_en) for c in fair.categories] == [
        ("助老", "Elderly care"), ("环保", "Environment"), ("社区治理", "")]
    assert organizer.roles_in(fair) == {Role.organizer}
    # typed in Beijing time, stored in UTC
    assert fair.applications_close_at == datetime(2027, 3, 31, 9, 0, tzinfo=timezone.utc)
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "fairs.fair.created",
                                                          AuditEvent.fair_id == fair.id))
    assert event.actor_id == organizer.id
    assert event.after["applications_close_at"] == "2027-03-31T09:00:00+00:00"


def test_the_new_fair_form_offers_the_default_categories(client_as):
    page = client_as(Role.organizer).get("/fairs/new").get_data(as_text=True)
    for name in ("助老", "助残", "青少年", "环保", "社区治理", "应急救援", "文化", "医疗健康", "扶贫济困", "其他"):
        assert name in page


def test_only_administrators_create_fairs(client_as):
    response = client_as(Role.judge).post("/fairs/new", data=FORM)
    assert response.status_code == 403
    assert "只有平台管理员可以执行此操作。" in response.get_data(as_text=True)
    assert _fairs() == 1


def _refused(client, url, field, message, **changes):
    before = _fairs()
    response = client.post(url, data={**FORM, **changes})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f'id="{field}-error">{message}' in page
    for value in changes.values():
        assert f'value="{value}"' in page or value in page        # the input is kept
    assert _fairs() == before


def test_end_before_start_is_refused_next_to_the_field(client_as):
    _refused(client_as(Role.organizer), "/fairs/new", "ends_on", "闭幕日期不能早于开幕日期。", ends_on="2027-05-18")


def test_window_ending_after_the_fair_is_refused(client_as):
    _refused(client_as(Role.organizer), "/fairs/new", "applications_close_at", "申报须在展会开幕",
             applications_close_at="2027-06-01T12:00")


def test_window_closing_before_it_opens_is_refused(client_as):
    _refused(client_as(Role.organizer), "/fairs/new", "applications_close_at", "申报截止时间必须晚于申报开始时间。",
             applications_close_at="2027-01-01T12:00")


def test_bad_slug_and_taken_slug(client_as, fair):
    client = client_as(Role.organizer)
    _refused(client, "/fairs/new", "slug", "网址标识须为", slug="JS 2027!")
    _refused(client, "/fairs/new", "slug", "该网址标识已被其他展会使用。", slug=fair.slug)


def test_garbage_dates_come_back_with_messages(client_as):
    _refused(client_as(Role.organizer), "/fairs/new", "starts_on", "请填写有效的日期。", starts_on="明天")


def test_organizer_edits_the_fair_and_the_change_is_audited(client_as, fair):
    client = client_as(Role.organizer)
    form = client.get(f"/fairs/{fair.slug}/edit").get_data(as_text=True)
    assert 'value="2027-03-31T17:00"' in form          # shown in the fair's timezone
    response = client.post(f"/fairs/{fair.slug}/edit", data={**FORM, "slug": fair.slug, "venue": "苏州国际博览中心"})
    assert response.status_code == 302
    assert fair.venue == "苏州国际博览中心"
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "fairs.fair.updated"))
    assert event.before["venue"] == "南京国际博览中心" and event.after["venue"] == "苏州国际博览中心"


def test_other_roles_cannot_edit(client_as, fair):
    for role in (Role.judge, Role.sponsor, Role.exhibitor, Role.gate_staff, Role.reviewer):
        assert client_as(role).post(f"/fairs/{fair.slug}/edit", data=FORM).status_code == 403


def test_organizer_of_another_fair_is_refused(client_as, fair):
    other = make_fair(slug="other-fair")
    client = client_as(Role.organizer)
    assert client.get(f"/fairs/{other.slug}/edit").status_code == 403
    assert client.get("/fairs/no-such-fair/").status_code == 404


def test_phases_move_one_step_at_a_time(client_as, fair):
    client = client_as(Role.organizer)
    client.post(f"/fairs/{fair.slug}/phase", data={"phase": "applications_open"})
    assert fair.phase == Phase.applications_open
    jump = client.post(f"/fairs/{fair.slug}/phase", data={"phase": "live"}, follow_redirects=True)
    assert "只能进入相邻的阶段" in jump.get_data(as_text=True)
    assert fair.phase == Phase.applications_open
    client.post(f"/fairs/{fair.slug}/phase", data={"phase": "draft"})
    assert fair.phase == Phase.draft
    assert client.post(f"/fairs/{fair.slug}/phase", data={"phase": "nonsense"}).status_code == 302
    changes = db.session.scalars(sa.select(AuditEvent.after).where(AuditEvent.action == "fairs.fair.phase_changed")
                                 .order_by(AuditEvent.id)).all()
    assert changes == [{"phase": "applications_open"}, {"phase": "draft"}]


def test_judges_cannot_move_phases(client_as, fair):
    assert client_as(Role.judge).post(f"/fairs/{fair.slug}/phase", data={"phase": "applications_open"}
                                      ).status_code == 403
    assert fair.phase == Phase.draft


def test_each_role_sees_its_own_navigation(client_as, fair):
    organizer = client_as(Role.organizer)
    organizer_page = organizer.get(f"/fairs/{fair.slug}/").get_data(as_text=True)
    assert ">设置</a>" in organizer_page and "新建展会" in organizer_page        # the settings group, once
    settings_page = organizer.get(f"/fairs/{fair.slug}/edit").get_data(as_text=True)
    for label in ("展会设置", "人员与邀请", "审计日志"):                           # its pages, as tabs
        assert label in settings_page
    for role in (Role.reviewer, Role.judge, Role.sponsor, Role.exhibitor, Role.gate_staff):
        page = client_as(role).get(f"/fairs/{fair.slug}/").get_data(as_text=True)
        assert role.label in page
        for label in ("展会设置", "人员与邀请", "审计日志", "新建展会"):
            assert label not in page, (role, label)


def test_home_lists_my_fairs_in_bounded_queries(client_as, organizer):
    client = client_as(Role.organizer)

    def queries() -> int:
        return queries_for(client, "/")

    make_fair(organizer)
    few = queries()
    for _ in range(12):
        make_fair(organizer)
    assert queries() == few
