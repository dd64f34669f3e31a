"""The application form: an exhibitor drafts, submits and withdraws its own projects; an organizer reopens one;
the page shows everything with a timeline. Refusals sit next to their field and save nothing."""
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from babel.dates import format_datetime

from fair.applications import services
from fair.applications.models import Application, ApplicationStatus, BoothSize, Decision, ReviewAssignment
from fair.audit.models import AuditEvent
from fair.auth.models import Role
from fair.extensions import db
from fair.refusal import Refused
from tests.conftest import log_in, queries_for
from tests.factories import make_application, make_fair, make_member, make_open_fair, make_organisation

FORM = {
    "title": "银龄食堂社区助餐", "category": "", "province": "江苏省", "city": "南京市", "district": "鼓楼区",
    "summary": "为独居老人提供午餐配送与陪餐。", "service_targets": "独居与高龄老人",
    "beneficiaries": "1200", "volunteers": "85", "years_running": "4", "past_outcomes": "累计送餐三万余份。",
    "funding_need_fen": "120,000.50", "support_wanted": ["funds", "volunteers"], "booth_size": "double",
    "needs_power": "y", "action": "save",
}


def form(fair, **changes) -> dict:
    return {**FORM, "category": str(fair.categories[0].id), **changes}


def applications() -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count(Application.id)))


def url(fair, application=None, action: str = "") -> str:
    if application is None:
        return f"/fairs/{fair.slug}/applications/new"
    return f"/fairs/{fair.slug}/applications/{application.id}" + (f"/{action}" if action else "")


def test_saving_a_draft_keeps_every_field(exhibitor, open_fair, organisation):
    response = exhibitor.post(url(open_fair), data=form(open_fair))
    application = db.session.scalar(sa.select(Application))
    assert response.status_code == 302
    assert response.headers["Location"] == url(open_fair, application, "edit")
    assert application.organisation_id == organisation.id and application.status == ApplicationStatus.draft
    assert (application.title, application.category, application.region) == (
        "银龄食堂社区助餐", open_fair.categories[0], "江苏省南京市鼓楼区")
    assert (application.beneficiaries, application.volunteers, application.years_running) == (1200, 85, 4)
    assert application.funding_need_fen == 12_000_050
    assert application.support_wanted == ["funds", "volunteers"]
    assert (application.booth_size, application.needs_power, application.needs_step_free) == (
        BoothSize.double, True, False)
    created = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "applications.application.created"))
    assert created.after["category_id"] == open_fair.categories[0].id and created.object_id == str(application.id)
    page = exhibitor.get(url(open_fair, application, "edit")).get_data(as_text=True)
    assert 'value="120000.50"' in page and 'value="银龄食堂社区助餐"' in page      # the form shows it again, in yuan


def test_submitting_lands_in_my_projects_as_submitted(exhibitor, open_fair):
    response = exhibitor.post(url(open_fair), data=form(open_fair, action="submit"), follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.request.path == f"/fairs/{open_fair.slug}/my-projects"
    assert "银龄食堂社区助餐" in page and "已提交" in page
    assert db.session.scalar(sa.select(Application.status)) == ApplicationStatus.submitted


def refused(client, target: str, data: dict, *errors: tuple[str, str]) -> str:
    """Every (field, message) shows under its field; the input comes back; no application is saved or changed."""
    before = applications()
    response = client.post(target, data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400, page
    for field, message in errors:
        assert f'id="{field}-error">{message}' in page, (field, message)
    assert applications() == before
    return page


def test_every_missing_field_is_marked_at_once(exhibitor, open_fair):
    page = refused(exhibitor, url(open_fair), form(open_fair, title="", summary=" ", city="", category="0"),
                   ("title", "此项为必填项。"), ("summary", "此项为必填项。"), ("city", "此项为必填项。"),
                   ("category", "请选择本届展会的服务领域。"))
    assert "独居与高龄老人" in page                          # what was typed is kept


def test_numbers_out_of_range_are_marked_with_the_other_mistakes(exhibitor, open_fair):
    refused(exhibitor, url(open_fair), form(open_fair, title="", funding_need_fen="-5", volunteers="-1"),
            ("title", "此项为必填项。"), ("funding_need_fen", "资金需求须在 ¥0 到 ¥50,000,000 之间。"),
            ("volunteers", "须为 0 到 100000 之间的整数。"))


def test_the_services_refuse_what_the_form_would_have_caught(open_fair):
    draft = make_application(open_fair, submit=False)
    for field, value in (("funding_need_fen", -1), ("title", "长" * 101), ("summary", "")):
        details = services.ProjectDetails(**{**dict(title="项目", category=open_fair.categories[0], summary="简介",
                                                    province="江苏省", city="南京市"), field: value})
        with pytest.raises(Refused) as refusal:
            services.update_application(draft, details, actor=None)
        assert refusal.value.field == field
    db.session.rollback()
    assert draft.funding_need_fen == 5_000_000


def test_too_long_text_is_refused(exhibitor, open_fair):
    page = refused(exhibitor, url(open_fair), form(open_fair, title="长" * 101), ("title", "不能超过 100 个字。"))
    assert 'maxlength="100"' in page


@pytest.mark.parametrize("typed, message", [
    ("-5", "资金需求须在 ¥0 到 ¥50,000,000 之间。"),
    ("50000000.01", "资金需求须在 ¥0 到 ¥50,000,000 之间。"),
    ("99999999999999999999", "资金需求须在 ¥0 到 ¥50,000,000 之间。"),
    ("十万", "请填写金额（元），最多两位小数"),
    ("12.345", "请填写金额（元），最多两位小数"),
    ("1e6", "请填写金额（元），最多两位小数"),
    ("NaN", "请填写金额（元），最多两位小数"),
])
def test_bad_funding_is_refused_next_to_it(exhibitor, open_fair, typed, message):
    page = refused(exhibitor, url(open_fair), form(open_fair, funding_need_fen=typed), ("funding_need_fen", message))
    assert f'value="{typed}"' in page


@pytest.mark.parametrize("field, typed, message", [
    ("volunteers", "-1", "须为 0 到 100000 之间的整数。"),
    ("years_running", "300", "须为 0 到 100 之间的整数。"),
    ("beneficiaries", "许多", "不是有效的整数。"),
])
def test_bad_counts_are_refused_next_to_them(exhibitor, open_fair, field, typed, message):
    refused(exhibitor, url(open_fair), form(open_fair, **{field: typed}), (field, message))


def test_a_city_outside_the_province_is_refused(exhibitor, open_fair):
    refused(exhibitor, url(open_fair), form(open_fair, city="杭州市"), ("city", "请选择江苏省的城市。"))


def test_another_fairs_category_is_refused(exhibitor, open_fair):
    other = make_fair(slug="other-fair")
    refused(exhibitor, url(open_fair), form(open_fair, category=str(other.categories[0].id)))


def test_editing_a_draft_is_audited(exhibitor, open_fair, organisation):
    draft = make_application(open_fair, organisation, submit=False)
    response = exhibitor.post(url(open_fair, draft, "edit"), data=form(open_fair, title="改过的名称"))
    assert response.status_code == 302
    db.session.refresh(draft)
    assert draft.title == "改过的名称" and draft.status == ApplicationStatus.draft
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "applications.application.updated"))
    assert event.after["title"] == "改过的名称" and event.before["title"] != "改过的名称"


def test_submitting_after_the_deadline_changes_nothing(app, organizer, organisation):
    fair = make_open_fair(organizer, closed=True)
    draft = make_application(fair, organisation, submit=False, title="原来的名称")
    client = log_in(app.test_client(), make_member(fair, Role.exhibitor, organisation=organisation))
    response = client.post(url(fair, draft, "edit"), data=form(fair, title="截止后才改的名称", action="submit"))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    deadline = format_datetime(fair.applications_close_at, "medium", tzinfo=ZoneInfo(fair.timezone), locale="zh_Hans")
    assert f"申报已于 {deadline} 截止。" in page                    # in the fair's own time
    assert 'value="截止后才改的名称"' in page
    db.session.rollback()
    assert (draft.title, draft.status, draft.submitted_at) == ("原来的名称", ApplicationStatus.draft, None)
    assert client.post(url(fair), data=form(fair)).status_code == 400      # nor can a new one be started
    assert applications() == 1


def test_a_submitted_application_cannot_be_edited(exhibitor, open_fair, organisation):
    submitted = make_application(open_fair, organisation, title="已交的项目")
    assert exhibitor.get(url(open_fair, submitted, "edit")).headers["Location"] == url(open_fair, submitted)
    exhibitor.post(url(open_fair, submitted, "edit"), data=form(open_fair, title="偷偷改"))
    db.session.rollback()
    assert submitted.title == "已交的项目"
    with pytest.raises(Refused) as refusal:
        services.update_application(submitted, services.ProjectDetails("偷偷改", open_fair.categories[0], "x",
                                                                      "江苏省", "南京市"), actor=None)
    assert refusal.value.code == "not_editable"


def test_withdrawing_asks_first_then_withdraws(exhibitor, open_fair, organisation):
    submitted = make_application(open_fair, organisation)
    page = exhibitor.get(url(open_fair, submitted, "withdraw")).get_data(as_text=True)
    assert "确定要撤回吗" in page and "确定撤回" in page
    assert submitted.status == ApplicationStatus.submitted           # asking changes nothing
    assert exhibitor.post(url(open_fair, submitted, "withdraw")).status_code == 302
    db.session.rollback()
    assert submitted.status == ApplicationStatus.withdrawn
    events = db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.object_id == str(submitted.id),
                                                                   AuditEvent.object_type == "application")).all()
    assert events[-1] == "applications.application.withdrawn"
    again = exhibitor.post(url(open_fair, submitted, "withdraw"), follow_redirects=True).get_data(as_text=True)
    assert "只有已提交的申报可以撤回。" in again


def test_an_organizer_reopens_with_a_reason_and_the_applicant_resubmits_after_the_deadline(app, organizer,
                                                                                            client_as, organisation):
    fair = make_open_fair(organizer, closed=True)
    submitted = make_application(fair, organisation, title="需补充材料的项目")
    organizer_client = log_in(app.test_client(), organizer)
    missing = organizer_client.post(url(fair, submitted, "reopen"), data={"reason": " "})
    assert missing.status_code == 400 and 'id="reason-error">此项为必填项。' in missing.get_data(as_text=True)
    response = organizer_client.post(url(fair, submitted, "reopen"), data={"reason": "请补充服务对象和志愿者人数。"})
    assert response.status_code == 302
    db.session.rollback()
    assert submitted.status == ApplicationStatus.reopened
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "applications.application.reopened"))
    assert (event.actor_id, event.after["reason"]) == (organizer.id, "请补充服务对象和志愿者人数。")

    client = log_in(app.test_client(), make_member(fair, Role.exhibitor, organisation=organisation))
    edit_page = client.get(url(fair, submitted, "edit")).get_data(as_text=True)
    assert "请补充服务对象和志愿者人数。" in edit_page
    response = client.post(url(fair, submitted, "edit"), data=form(fair, title="需补充材料的项目", action="submit"))
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.rollback()
    assert submitted.status == ApplicationStatus.submitted and submitted.volunteers == 85


def test_only_organizers_reopen_and_only_what_was_submitted(exhibitor, client_as, open_fair, organisation):
    submitted = make_application(open_fair, organisation)
    assert exhibitor.post(url(open_fair, submitted, "reopen"), data={"reason": "x"}).status_code == 403
    assert client_as(Role.reviewer).post(url(open_fair, submitted, "reopen"), data={"reason": "x"}).status_code == 403
    draft = make_application(open_fair, organisation, submit=False)
    response = client_as(Role.organizer).post(url(open_fair, draft, "reopen"), data={"reason": "请修改"})
    assert response.status_code == 400 and "只有已提交的申报可以退回修改。" in response.get_data(as_text=True)
    assert draft.status == ApplicationStatus.draft


def test_the_page_shows_everything_and_a_timeline_in_the_fairs_time(exhibitor, open_fair, organisation):
    application = make_application(open_fair, organisation, title="河道守护", service_targets="沿河居民",
                                   funding_need_fen=8_000_000, support_wanted=[], needs_step_free=True)
    submitted = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "applications.application.submitted"))
    submitted.at = datetime(2027, 2, 3, 1, 30, tzinfo=timezone.utc)
    db.session.commit()
    page = exhibitor.get(url(open_fair, application)).get_data(as_text=True)
    for text in ("河道守护", "沿河居民", "¥80,000", "需要无障碍通道", organisation.name, "创建草稿", "申报已提交",
                 "已提交", "撤回申报"):
        assert text in page, text
    assert format_datetime(submitted.at, "short", tzinfo=ZoneInfo("Asia/Shanghai"), locale="zh_Hans") in page
    assert "2027/2/3 09:30" in page


def test_a_published_decision_is_shown(exhibitor, open_fair, organisation):
    application = make_application(open_fair, organisation)
    application.decision = Decision.shortlisted
    db.session.commit()
    assert "遴选结果：入围" in exhibitor.get(url(open_fair, application)).get_data(as_text=True)


def test_another_organisation_can_neither_read_nor_change(app, exhibitor, open_fair):
    theirs = make_application(open_fair, make_organisation(), submit=False, title="别人的项目")
    for action in ("", "edit", "withdraw"):
        assert exhibitor.get(url(open_fair, theirs, action)).status_code == 403, action
    assert exhibitor.post(url(open_fair, theirs, "edit"), data=form(open_fair, title="改掉")).status_code == 403
    submitted = make_application(open_fair, make_organisation())
    assert exhibitor.post(url(open_fair, submitted, "withdraw")).status_code == 403
    db.session.rollback()
    assert (theirs.title, submitted.status) == ("别人的项目", ApplicationStatus.submitted)


def test_no_id_leads_into_another_fair(client_as, organizer, open_fair):
    other = make_fair(organizer, slug="other-fair")
    elsewhere = make_application(other)
    organizer_client = client_as(Role.organizer)
    assert organizer_client.get(f"/fairs/{open_fair.slug}/applications/{elsewhere.id}").status_code == 404
    assert organizer_client.get(f"/fairs/{other.slug}/applications/{elsewhere.id}").status_code == 200
    assert organizer_client.post(f"/fairs/{open_fair.slug}/applications/{elsewhere.id}/reopen",
                                 data={"reason": "x"}).status_code == 404


def test_reviewers_see_only_what_they_are_assigned_and_blind_screening_hides_the_applicant(app, open_fair):
    organisation = make_organisation(name="鼓楼区阳光志愿服务队", contact_name="钱多多", contact_phone="13900001111")
    application = make_application(open_fair, organisation, title="阳光课堂")
    reviewer = make_member(open_fair, Role.reviewer)
    client = log_in(app.test_client(), reviewer)
    assert client.get(url(open_fair, application)).status_code == 403
    db.session.add(ReviewAssignment(application=application, reviewer=reviewer))
    db.session.commit()
    page = client.get(url(open_fair, application)).get_data(as_text=True)
    assert "阳光课堂" in page and "鼓楼区阳光志愿服务队" in page and "13900001111" in page
    open_fair.blind_screening = True
    db.session.commit()
    page = client.get(url(open_fair, application)).get_data(as_text=True)
    assert "阳光课堂" in page
    for hidden in ("鼓楼区阳光志愿服务队", "钱多多", "13900001111"):
        assert hidden not in page, hidden
    assert "匿名初审" in page


def test_my_projects_link_to_each_project(exhibitor, open_fair, organisation):
    draft = make_application(open_fair, organisation, submit=False, title="草稿项目")
    submitted = make_application(open_fair, organisation, title="已交项目")
    page = exhibitor.get(f"/fairs/{open_fair.slug}/my-projects").get_data(as_text=True)
    assert f'href="{url(open_fair)}"' in page                                   # new
    assert f'href="{url(open_fair, draft, "edit")}"' in page
    assert f'href="{url(open_fair, submitted)}"' in page
    assert f'href="{url(open_fair, submitted, "withdraw")}"' in page
    assert f'href="{url(open_fair, submitted, "edit")}"' not in page


def test_the_organizers_list_links_to_the_page(client_as, open_fair):
    application = make_application(open_fair)
    page = client_as(Role.organizer).get(f"/fairs/{open_fair.slug}/applications").get_data(as_text=True)
    assert f'href="{url(open_fair, application)}"' in page


def test_pages_run_a_bounded_number_of_queries(exhibitor, open_fair, organisation):
    application = make_application(open_fair, organisation, submit=False)

    def both() -> tuple[int, int]:
        return (queries_for(exhibitor, url(open_fair, application)),
                queries_for(exhibitor, f"/fairs/{open_fair.slug}/my-projects"))

    few = both()
    for number in range(15):
        make_application(open_fair, organisation)
        services.add_attachment(application, data=b"%PDF-1.4\n%%EOF\n", filename=f"材料{number}.pdf",
                                kind=services.AttachmentKind.document, actor=None)
    services.submit_application(application, actor=None)
    services.reopen_application(application, "请补充", actor=None)
    assert both() == few
