"""Shortlisting: quotas, the proposal, overrides, publishing once, replacing from the waitlist, access."""
import pytest
import sqlalchemy as sa

from fair.applications import services as applications
from fair.applications.models import (Application, Decision, Placement, Quota, QuotaDimension, ShortlistEntry)
from fair.audit.models import AuditEvent
from fair.auth.models import Role
from fair.extensions import db
from fair.messages.models import Message
from fair.refusal import Refused
from fair.shortlist import services
from fair.shortlist.services import QuotaSetting
from tests.conftest import log_in, queries_for
from tests.factories import (make_application, make_criterion, make_member, make_organisation, make_review,
                             make_user)

# (title, category index, city, points on impact and feasibility from both reviewers)
PROJECTS = [
    ("银龄食堂", 0, "南京市", (9, 9)),
    ("助老热线", 0, "南京市", (8, 8)),
    ("老年课堂", 0, "苏州市", (7, 7)),
    ("四点半课堂", 2, "苏州市", (6, 6)),
    ("青春护河", 2, "南京市", (4, 4)),
    ("暑期夏令营", 2, "无锡市", (3, 3)),
]


@pytest.fixture
def screened(fair):
    """Six submitted applications, each reviewed by the same two reviewers, and one never reviewed."""
    criteria = [make_criterion(fair, "项目成效", 60), make_criterion(fair, "可行性", 40)]
    reviewers = [make_member(fair, Role.reviewer) for _ in range(2)]
    by_title = {}
    for title, category, city, points in PROJECTS:
        application = make_application(fair, title=title, category=fair.categories[category], city=city)
        for reviewer in reviewers:
            make_review(application, reviewer, dict(zip(criteria, points)))
        by_title[title] = application
    by_title["未评项目"] = make_application(fair, title="未评项目", city="南京市")
    make_review(by_title["未评项目"], reviewers[0], dict(zip(criteria, (10, 10))), submitted=False)
    return by_title


def _entries(fair) -> dict[str, ShortlistEntry]:
    rows = db.session.scalars(sa.select(ShortlistEntry).where(ShortlistEntry.fair_id == fair.id)).all()
    return {entry.application.title: entry for entry in rows}


def _placements(fair) -> dict[str, Placement]:
    return {title: entry.placement for title, entry in _entries(fair).items()}


def _settings(fair, size, *quotas):
    services.save_settings(fair, size=size, quotas=list(quotas), actor=fair.members(Role.organizer)[0])


def _youth_at_least(fair, minimum):
    return QuotaSetting(QuotaDimension.category, str(fair.categories[2].id), minimum, None)


def _propose(fair, **kwargs):
    return services.propose(fair, actor=fair.members(Role.organizer)[0], **kwargs)


# --- settings ---------------------------------------------------------------------------------------

def _settings_form(fair, size="3", rows=None):
    """The settings form as posted: every category row, with `rows` {category index: (min, max)}."""
    rows = rows or {}
    data = {"size": size}
    for index, category in enumerate(fair.categories):
        low, high = rows.get(index, ("", ""))
        data |= {f"categories-{index}-key": str(category.id), f"categories-{index}-minimum": low,
                 f"categories-{index}-maximum": high}
    return data


def test_settings_are_validated_next_to_their_fields(client_as, fair):
    client = client_as(Role.organizer)
    url = f"/fairs/{fair.slug}/shortlist/settings"
    upside_down = client.post(url, data=_settings_form(fair, rows={2: ("5", "2")}))
    assert upside_down.status_code == 400
    assert "最多不能少于最少。" in upside_down.get_data(as_text=True)
    no_size = client.post(url, data=_settings_form(fair, size="0"))
    assert no_size.status_code == 400 and 'id="size-error"' in no_size.get_data(as_text=True)
    above_size = client.post(url, data=_settings_form(fair, size="3", rows={1: ("4", "")}))
    assert above_size.status_code == 400 and "须在 0 到入围名额 3 之间。" in above_size.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Quota.id))) == 0

    saved = client.post(url, data=_settings_form(fair, rows={2: ("1", "2"), 0: ("", "2")}))
    assert saved.status_code == 302
    db.session.refresh(fair)
    assert fair.shortlist_size == 3
    quotas = {(q.key, q.minimum, q.maximum) for q in db.session.scalars(sa.select(Quota))}
    assert quotas == {(str(fair.categories[2].id), 1, 2), (str(fair.categories[0].id), 0, 2)}
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "shortlist.settings.updated"))
    assert event.after["shortlist_size"] == 3 and len(event.after["quotas"]) == 2

    cleared = client.post(url, data=_settings_form(fair, size="4"))
    assert cleared.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(Quota.id))) == 0


def test_a_quota_for_another_fairs_category_is_refused(fair):
    with pytest.raises(Refused) as refused:
        _settings(fair, 3, QuotaSetting(QuotaDimension.category, "999999", 1, None))
    assert (refused.value.code, refused.value.field) == ("bad_category", "category-999999")


# --- proposal ---------------------------------------------------------------------------------------

def test_the_proposal_takes_the_best_within_the_quotas(fair, screened):
    _settings(fair, 3, _youth_at_least(fair, 1))
    proposal = _propose(fair, waitlist_size=2)
    assert (proposal.shortlisted, proposal.waitlisted, proposal.unreviewed) == (3, 2, 1)
    placements = _placements(fair)
    # 四点半课堂 (6) comes in ahead of 老年课堂 (7): youth needs one.
    assert [t for t, p in placements.items() if p == Placement.shortlist] == ["银龄食堂", "助老热线", "四点半课堂"]
    assert [t for t, p in placements.items() if p == Placement.waitlist] == ["老年课堂", "青春护河"]
    entries = _entries(fair)
    assert entries["老年课堂"].waitlist_rank == 1 and entries["青春护河"].waitlist_rank == 2
    assert entries["银龄食堂"].score == pytest.approx(9)
    assert entries["未评项目"].score is None and entries["未评项目"].placement == Placement.out


def test_the_page_shows_the_proposal_and_says_how_many_are_unreviewed(client_as, fair, screened):
    _settings(fair, 3, _youth_at_least(fair, 1))
    client = client_as(Role.organizer)
    response = client.post(f"/fairs/{fair.slug}/shortlist/propose", data={"waitlist_size": "2"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "已生成建议名单：入围 3 个，候补 2 个。" in page
    assert "另有 1 个项目未完成初审，不参与遴选。" in page
    assert "银龄食堂" in page and "9.00" in page and "候补第 1 位" in page
    unreviewed = client.get(f"/fairs/{fair.slug}/shortlist", query_string={"tab": "unreviewed"}).get_data(as_text=True)
    assert "未评项目" in unreviewed and "银龄食堂" not in unreviewed


def test_quotas_that_cannot_be_met_are_explained_and_nothing_is_written(client_as, fair, screened):
    _settings(fair, 3, _youth_at_least(fair, 3), QuotaSetting(QuotaDimension.city, "无锡市", 2, None))
    client = client_as(Role.organizer)
    response = client.post(f"/fairs/{fair.slug}/shortlist/propose", data={})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "城市“无锡市”：最少 2 个，但完成初审且未被排除的项目只有 1 个。" in page
    assert db.session.scalar(sa.select(sa.func.count(ShortlistEntry.id))) == 0


def test_a_proposal_needs_a_size(fair, screened):
    with pytest.raises(Refused) as refused:
        _propose(fair)
    assert (refused.value.code, refused.value.field) == ("no_size", "size")


# --- overrides --------------------------------------------------------------------------------------

def test_an_override_needs_a_reason(client_as, fair, screened):
    _settings(fair, 3)
    _propose(fair)
    entry = _entries(fair)["四点半课堂"]
    client = client_as(Role.organizer)
    url = f"/fairs/{fair.slug}/shortlist/entries/{entry.id}"
    without = client.post(url, data={"placement": "shortlist", "reason": "  "})
    assert without.status_code == 400
    assert f'id="reason-{entry.id}-error"' in without.get_data(as_text=True)
    assert _entries(fair)["四点半课堂"].override is None

    assert client.post(url, data={"placement": "shortlist", "reason": "省级示范项目"}).status_code == 302
    entry = _entries(fair)["四点半课堂"]
    assert (entry.override, entry.override_reason, entry.placement) == (Placement.shortlist, "省级示范项目",
                                                                          Placement.shortlist)
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "shortlist.entry.overridden"))
    assert event.after == {"placement": "shortlist", "override_reason": "省级示范项目", "waitlist_rank": None}
    assert event.fair_id == fair.id


def test_an_unreviewed_application_cannot_be_moved_in(fair, screened):
    _settings(fair, 3)
    _propose(fair)
    with pytest.raises(Refused) as refused:
        services.override_entry(_entries(fair)["未评项目"], Placement.shortlist, reason="看好",
                                actor=fair.members(Role.organizer)[0])
    assert refused.value.code == "unreviewed"


def test_proposing_again_keeps_the_overrides(fair, screened):
    _settings(fair, 3)
    _propose(fair, waitlist_size=1)
    organizer = fair.members(Role.organizer)[0]
    services.override_entry(_entries(fair)["暑期夏令营"], Placement.shortlist, reason="特色项目", actor=organizer)
    services.override_entry(_entries(fair)["银龄食堂"], Placement.out, reason="重复申报", actor=organizer)
    _propose(fair, waitlist_size=1)
    placements = _placements(fair)
    assert [t for t, p in placements.items() if p == Placement.shortlist] == ["助老热线", "老年课堂", "暑期夏令营"]
    assert placements["银龄食堂"] == Placement.out
    assert _entries(fair)["暑期夏令营"].override_reason == "特色项目"


# --- publishing -------------------------------------------------------------------------------------

def _decisions(fair) -> dict[str, Decision | None]:
    rows = db.session.scalars(sa.select(Application).where(Application.fair_id == fair.id))
    return {application.title: application.decision for application in rows}


def test_publishing_decides_every_application_and_tells_each_organisation(client_as, fair, screened):
    _settings(fair, 3)
    _propose(fair, waitlist_size=1)
    client = client_as(Role.organizer)
    unconfirmed = client.post(f"/fairs/{fair.slug}/shortlist/publish", data={}, follow_redirects=True)
    assert "请先勾选确认。" in unconfirmed.get_data(as_text=True)
    assert all(decision is None for decision in _decisions(fair).values())

    response = client.post(f"/fairs/{fair.slug}/shortlist/publish", data={"confirm": "y"}, follow_redirects=True)
    assert "结果已发布：入围 3 个，候补 1 个，未入围 3 个" in response.get_data(as_text=True)
    decisions = _decisions(fair)
    assert decisions["银龄食堂"] == Decision.shortlisted and decisions["四点半课堂"] == Decision.waitlisted
    assert decisions["暑期夏令营"] == Decision.rejected and decisions["未评项目"] == Decision.rejected
    assert all(a.decided_at is not None for a in db.session.scalars(sa.select(Application)))
    messages = db.session.scalars(sa.select(Message).order_by(Message.id)).all()
    assert len(messages) == 7
    by_organisation = {m.organisation_id: m for m in messages}
    shortlisted = by_organisation[screened["银龄食堂"].organisation_id]
    assert shortlisted.subject == "项目入围通知：银龄食堂" and shortlisted.kind == "shortlist.decision"
    assert "“银龄食堂”已入围" in shortlisted.body and fair.name in shortlisted.body
    assert "候补名单（第 1 位）" in by_organisation[screened["四点半课堂"].organisation_id].body
    assert db.session.scalar(sa.select(AuditEvent.after).where(AuditEvent.action == "shortlist.published")) == {
        "shortlisted": 3, "waitlisted": 1, "rejected": 3}


def test_publishing_is_one_transaction(fair, screened, monkeypatch):
    _settings(fair, 3)
    _propose(fair)
    sent = []

    def failing_send(*args, **kwargs):
        if len(sent) == 4:
            raise RuntimeError("the fifth message fails")
        sent.append(kwargs)
        return services_send(*args, **kwargs)

    services_send = services.send_message
    monkeypatch.setattr(services, "send_message", failing_send)
    with pytest.raises(RuntimeError):
        services.publish(fair, actor=fair.members(Role.organizer)[0])
    db.session.rollback()
    assert all(decision is None for decision in _decisions(fair).values())
    assert db.session.scalar(sa.select(sa.func.count(Message.id))) == 0


def test_publishing_twice_is_refused_by_the_database(fair, screened, monkeypatch):
    _settings(fair, 3)
    _propose(fair)
    organizer = fair.members(Role.organizer)[0]
    services.publish(fair, actor=organizer)
    with pytest.raises(Refused) as again:
        services.publish(fair, actor=organizer)
    assert again.value.code == "published"
    # Two publications at once both pass the Python check; the guarded UPDATE stops the second.
    monkeypatch.setattr(services.queries, "published_at", lambda _fair: None)
    with pytest.raises(Refused) as racing:
        services.publish(fair, actor=organizer)
    assert racing.value.code == "already_published"
    assert db.session.scalar(sa.select(sa.func.count(Message.id))) == 7
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))
                             .where(AuditEvent.action == "shortlist.published")) == 1


def test_a_proposal_older_than_the_applications_is_not_published(fair, screened):
    _settings(fair, 3)
    _propose(fair)
    applications.withdraw_application(screened["助老热线"], actor=None)
    with pytest.raises(Refused) as refused:
        services.publish(fair, actor=fair.members(Role.organizer)[0])
    assert refused.value.code == "stale_proposal"


def test_nothing_changes_after_publishing(fair, screened):
    _settings(fair, 3)
    _propose(fair)
    organizer = fair.members(Role.organizer)[0]
    services.publish(fair, actor=organizer)
    for change in (lambda: _propose(fair), lambda: _settings(fair, 4),
                   lambda: services.override_entry(_entries(fair)["老年课堂"], Placement.shortlist, reason="x",
                                                   actor=organizer)):
        with pytest.raises(Refused) as refused:
            change()
        assert refused.value.code == "published"


# --- replacing a withdrawn project -----------------------------------------------------------------

def test_a_withdrawn_project_is_replaced_from_the_waitlist_keeping_the_quotas(client_as, fair, screened):
    _settings(fair, 3, _youth_at_least(fair, 1))
    _propose(fair, waitlist_size=2)          # in: 银龄食堂, 助老热线, 四点半课堂; waiting: 老年课堂, 青春护河
    organizer = fair.members(Role.organizer)[0]
    services.publish(fair, actor=organizer)
    applications.withdraw_application(screened["四点半课堂"], actor=None)
    client = client_as(Role.organizer)
    page = client.get(f"/fairs/{fair.slug}/shortlist").get_data(as_text=True)
    assert "入围后撤回的项目" in page and "从候补递补" in page

    response = client.post(f"/fairs/{fair.slug}/shortlist/replace/{screened['四点半课堂'].id}", follow_redirects=True)
    # 老年课堂 waits first, but youth needs one: 青春护河 is called up.
    assert "“青春护河”已由候补递补入围" in response.get_data(as_text=True)
    decisions = _decisions(fair)
    assert decisions["青春护河"] == Decision.shortlisted and decisions["老年课堂"] == Decision.waitlisted
    message = db.session.scalar(sa.select(Message).where(Message.kind == "shortlist.promoted"))
    assert message.organisation_id == screened["青春护河"].organisation_id and "青春护河" in message.subject
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "shortlist.application.promoted"))
    assert event.after["replaces"] == "四点半课堂" and event.after["unmet_quotas"] == []
    assert _entries(fair)["老年课堂"].waitlist_rank == 1

    again = client.post(f"/fairs/{fair.slug}/shortlist/replace/{screened['四点半课堂'].id}", follow_redirects=True)
    assert "已经递补过了" in again.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Message.id)).where(Message.kind == "shortlist.promoted")) == 1


def test_a_replacement_says_which_quota_it_cannot_keep(client_as, fair, screened):
    _settings(fair, 3, _youth_at_least(fair, 1))
    _propose(fair, waitlist_size=1)          # waiting: 老年课堂 only, not youth
    services.publish(fair, actor=fair.members(Role.organizer)[0])
    applications.withdraw_application(screened["四点半课堂"], actor=None)
    response = client_as(Role.organizer).post(
        f"/fairs/{fair.slug}/shortlist/replace/{screened['四点半课堂'].id}", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "“老年课堂”已由候补递补入围" in page
    assert "以下要求暂未满足" in page and "最少 1 个）：递补后为 0 个" in page


def test_only_a_withdrawn_shortlisted_project_is_replaced(fair, screened):
    _settings(fair, 3)
    _propose(fair)
    services.publish(fair, actor=fair.members(Role.organizer)[0])
    with pytest.raises(Refused) as refused:
        services.replace_from_waitlist(screened["银龄食堂"], actor=None)
    assert refused.value.code == "not_withdrawn"


# --- access and queries -----------------------------------------------------------------------------

@pytest.mark.parametrize("role", [Role.reviewer, Role.exhibitor, Role.judge])
def test_only_organizers_reach_the_shortlist(client_as, fair, role):
    client = client_as(role)
    assert client.get(f"/fairs/{fair.slug}/shortlist").status_code == 403
    for action in ("settings", "propose", "publish"):
        response = client.post(f"/fairs/{fair.slug}/shortlist/{action}", data={"confirm": "y", "size": "3"})
        assert response.status_code == 403
    assert fair.shortlist_size is None and db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(
        AuditEvent.action.startswith("shortlist."))) == 0


def test_anonymous_visitors_are_sent_to_log_in(client, fair):
    response = client.get(f"/fairs/{fair.slug}/shortlist")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_an_organizer_of_another_fair_is_refused(app, fair):
    from tests.factories import make_fair
    other_organizer = make_user(is_admin=True)
    make_fair(other_organizer)
    client = log_in(app.test_client(), other_organizer)
    assert client.get(f"/fairs/{fair.slug}/shortlist").status_code == 403


def _many_entries(fair, number: int) -> None:
    """`number` submitted applications with proposal entries, written in bulk (test data)."""
    organisation = make_organisation()
    rows = [Application(fair=fair, organisation=organisation, category=fair.categories[i % 3], title=f"项目{i}",
                        city=("南京市", "苏州市")[i % 2], status=applications.ApplicationStatus.submitted)
            for i in range(number)]
    db.session.add_all(rows)
    db.session.flush()
    db.session.add_all(ShortlistEntry(fair_id=fair.id, application_id=a.id, score=i / 10,
                                      proposed=(Placement.shortlist, Placement.waitlist, Placement.out)[i % 3],
                                      waitlist_rank=i if i % 3 == 1 else None)
                       for i, a in enumerate(rows))
    db.session.commit()


def test_the_page_queries_do_not_grow_with_the_entries(client_as, fair):
    _settings(fair, 100, _youth_at_least(fair, 1), QuotaSetting(QuotaDimension.city, "南京市", 0, 50))
    client = client_as(Role.organizer)
    _many_entries(fair, 10)
    few = queries_for(client, f"/fairs/{fair.slug}/shortlist")
    _many_entries(fair, 990)
    assert queries_for(client, f"/fairs/{fair.slug}/shortlist") == few
    assert queries_for(client, f"/fairs/{fair.slug}/shortlist?tab=waitlist&page=2") <= few
