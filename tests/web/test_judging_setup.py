"""The judging setup: the rubric (weights summing to 100, frozen once judging opens), award tiers, judges
per project, the judging state's steps, the setup's version against concurrent changes, permissions."""
import pytest
import sqlalchemy as sa

from fair.audit.models import AuditEvent
from fair.auth.models import Role
from fair.extensions import db
from fair.refusal import Refused
from judging import services
from judging.models import AwardScope, AwardTier, JudgingCriterion, JudgingSetup
from judging.queries import DEFAULT_RUBRIC, DEFAULT_TIERS
from tests.factories import make_judging


def rubric_form(rows, version=0) -> dict:
    data = {"section": "rubric", "version": version}
    for index, (name, weight, most, *tie) in enumerate(rows):
        data |= {f"criteria-{index}-name": name, f"criteria-{index}-weight": weight,
                 f"criteria-{index}-max_points": most}
        if tie:
            data[f"criteria-{index}-tie_break"] = "y"
    return data


def tiers_form(rows, scope="fair", version=None) -> dict:
    data = {"section": "tiers", "scope": scope}
    if version is not None:
        data["version"] = version
    for index, (name, count) in enumerate(rows):
        data |= {f"tiers-{index}-name": name, f"tiers-{index}-count": count}
    return data


def criteria(fair):
    return db.session.scalars(sa.select(JudgingCriterion).where(JudgingCriterion.fair_id == fair.id)
                              .order_by(JudgingCriterion.position)).all()


def test_setup_page_offers_the_default_rubric_and_tiers(client_as, fair):
    page = client_as(Role.organizer).get(f"/fairs/{fair.slug}/judging/setup")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for name, *_ in DEFAULT_RUBRIC:
        assert name in html
    for name, *_ in DEFAULT_TIERS:
        assert name in html
    assert "尚未保存评分标准" in html and ">80<" in html


def test_saving_the_rubric_keeps_rows_and_audits(client_as, fair):
    client = client_as(Role.organizer)
    rows = [(name, weight, most) for name, _, weight, most in DEFAULT_RUBRIC]
    rows[3] = (*rows[3], True)
    response = client.post(f"/fairs/{fair.slug}/judging/setup", data=rubric_form(rows))
    assert response.status_code == 302
    saved = criteria(fair)
    assert [c.weight for c in saved] == [20, 20, 20, 25, 15] and [c.tie_break for c in saved] == [0, 0, 0, 1, 0]
    kept_id = saved[0].id
    version = db.session.get(JudgingSetup, fair.id).version
    rows = [("社会需求与对象精准度", 50, 10), ("项目创新性", 50, 5)]
    assert client.post(f"/fairs/{fair.slug}/judging/setup", data=rubric_form(rows, version)).status_code == 302
    saved = criteria(fair)
    assert [(c.name, c.weight, c.max_points) for c in saved] == [("社会需求与对象精准度", 50, 10), ("项目创新性", 50, 5)]
    assert saved[0].id == kept_id
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "judging.rubric.set")) == 2


@pytest.mark.parametrize("rows, message", [
    ([("影响力", 60, 10), ("创新", 30, 10)], "各项权重之和应为 100，当前为 90"),
    ([("影响力", 60, 10), ("影响力", 40, 10)], "重复"),
    ([("影响力", 100, 101)], "介于 1 到 100"),
    ([("影响力", 50, 10, True), ("创新", 50, 10, True)], "只能选一项"),
    ([("", 100, 10)], "请填写评分项名称"),
])
def test_a_bad_rubric_is_refused_next_to_its_field_and_kept(client_as, fair, rows, message):
    client = client_as(Role.organizer)
    response = client.post(f"/fairs/{fair.slug}/judging/setup", data=rubric_form(rows))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html
    assert f'value="{rows[0][0]}"' in html or not rows[0][0]          # what was typed stays
    assert criteria(fair) == []


def test_service_refuses_weights_not_summing_to_100(fair, organizer):
    with pytest.raises(Refused) as refused:
        services.set_rubric(fair, [services.CriterionLine("影响力", 99)], organizer)
    assert refused.value.code == "weights_sum"
    with pytest.raises(Refused) as refused:
        services.set_rubric(fair, [services.CriterionLine("影响力", 100, max_points=0)], organizer)
    assert refused.value.code == "max_points_range"


def test_rubric_is_frozen_once_judging_opens(client_as, fair, organizer):
    client = client_as(Role.organizer)
    with pytest.raises(Refused) as refused:
        services.open_judging(fair, organizer)
    assert refused.value.code == "no_rubric"
    services.set_rubric(fair, services.default_rubric(), organizer)
    version = db.session.get(JudgingSetup, fair.id).version
    response = client.post(f"/fairs/{fair.slug}/judging/setup",
                           data={"section": "open", "open-version": version, "open-confirm": "y"})
    assert response.status_code == 302
    assert db.session.get(JudgingSetup, fair.id).opened_at is not None
    response = client.post(f"/fairs/{fair.slug}/judging/setup", data=rubric_form([("影响力", 100, 10)]))
    assert response.status_code == 400
    assert "评分标准已冻结" in response.get_data(as_text=True)
    assert len(criteria(fair)) == 5
    page = client.get(f"/fairs/{fair.slug}/judging/setup").get_data(as_text=True)
    assert "保存评分标准" not in page and "锁定评审" in page


def test_state_steps_in_order_with_clear_refusals(fair, organizer):
    with pytest.raises(Refused) as refused:
        services.lock_judging(fair, organizer)
    assert refused.value.code == "not_open"
    services.set_rubric(fair, services.default_rubric(), organizer)
    services.open_judging(fair, organizer)
    with pytest.raises(Refused) as refused:
        services.open_judging(fair, organizer)
    assert refused.value.code == "already_open"
    with pytest.raises(Refused) as refused:
        services.reopen_judging(fair, organizer)
    assert refused.value.code == "not_locked"
    services.lock_judging(fair, organizer)
    with pytest.raises(Refused) as refused:
        services.lock_judging(fair, organizer)
    assert refused.value.code == "already_locked"
    services.reopen_judging(fair, organizer)
    setup = db.session.get(JudgingSetup, fair.id)
    assert setup.opened_at is not None and setup.locked_at is None
    actions = db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.action.like("judging.%"))
                                 .order_by(AuditEvent.id)).all()
    assert actions == ["judging.rubric.set", "judging.opened", "judging.locked", "judging.reopened"]


def test_no_reopening_after_results_are_frozen(fair, organizer):
    setup, *_ = make_judging(fair)
    services.lock_judging(fair, organizer)
    setup = db.session.get(JudgingSetup, fair.id)
    setup.frozen_at = setup.locked_at
    db.session.commit()
    with pytest.raises(Refused) as refused:
        services.reopen_judging(fair, organizer)
    assert refused.value.code == "frozen"
    with pytest.raises(Refused) as refused:
        services.set_tiers(fair, services.default_tiers(), "fair", organizer)
    assert refused.value.code == "frozen"


def test_state_button_needs_its_confirmation(client_as, fair, organizer):
    services.set_rubric(fair, services.default_rubric(), organizer)
    response = client_as(Role.organizer).post(f"/fairs/{fair.slug}/judging/setup", data={"section": "open"})
    assert response.status_code == 400
    assert "请先勾选确认" in response.get_data(as_text=True)
    assert db.session.get(JudgingSetup, fair.id).opened_at is None


def test_a_stale_version_is_refused_and_changes_nothing(client_as, fair, organizer):
    services.set_rubric(fair, services.default_rubric(), organizer)
    stale = db.session.get(JudgingSetup, fair.id).version
    services.set_judges_per_project(fair, 4, organizer, version=stale)
    response = client_as(Role.organizer).post(f"/fairs/{fair.slug}/judging/setup",
                                              data={"section": "count", "version": stale, "judges_per_project": 5})
    assert response.status_code == 400
    assert "刚被他人修改" in response.get_data(as_text=True)
    assert db.session.get(JudgingSetup, fair.id).judges_per_project == 4


def test_judges_per_project_range_and_fixed_after_opening(client_as, fair, organizer):
    client = client_as(Role.organizer)
    response = client.post(f"/fairs/{fair.slug}/judging/setup", data={"section": "count", "judges_per_project": 11})
    assert response.status_code == 400 and "1" in response.get_data(as_text=True)
    response = client.post(f"/fairs/{fair.slug}/judging/setup", data={"section": "count", "judges_per_project": "x"})
    assert response.status_code == 400 and "整数" in response.get_data(as_text=True)
    assert client.post(f"/fairs/{fair.slug}/judging/setup",
                       data={"section": "count", "judges_per_project": 4}).status_code == 302
    assert db.session.get(JudgingSetup, fair.id).judges_per_project == 4
    services.set_rubric(fair, services.default_rubric(), organizer)
    services.open_judging(fair, organizer)
    with pytest.raises(Refused) as refused:
        services.set_judges_per_project(fair, 5, organizer)
    assert refused.value.code == "opened"


def test_tiers_saved_with_scope_and_validated(client_as, fair):
    client = client_as(Role.organizer)
    rows = [(name, count) for name, _, count in DEFAULT_TIERS]
    assert client.post(f"/fairs/{fair.slug}/judging/setup", data=tiers_form(rows, "category")).status_code == 302
    tiers = db.session.scalars(sa.select(AwardTier).order_by(AwardTier.position)).all()
    assert [(t.name, t.count) for t in tiers] == rows and sum(t.count for t in tiers) == 80
    assert db.session.get(JudgingSetup, fair.id).award_scope == AwardScope.category
    version = db.session.get(JudgingSetup, fair.id).version
    for bad, message in [([("金奖", -1)], "0"), ([("金奖", 3), ("金奖", 4)], "重复"), ([("", 3)], "请填写奖项名称"),
                         ([], "至少需要一个奖项等级")]:
        response = client.post(f"/fairs/{fair.slug}/judging/setup", data=tiers_form(bad, version=version))
        assert response.status_code == 400, bad
        assert message in response.get_data(as_text=True), bad
    assert client.post(f"/fairs/{fair.slug}/judging/setup", data=tiers_form(rows, "planet")).status_code == 400
    assert [(t.name, t.count) for t in db.session.scalars(sa.select(AwardTier).order_by(AwardTier.position))] == rows


def test_only_organizers_reach_the_setup(client_as, fair, client):
    for role in (Role.judge, Role.exhibitor):
        other = client_as(role)
        assert other.get(f"/fairs/{fair.slug}/judging/setup").status_code == 403
        assert other.post(f"/fairs/{fair.slug}/judging/setup",
                          data={"section": "count", "judges_per_project": 2}).status_code == 403
    assert client.get(f"/fairs/{fair.slug}/judging/setup").status_code == 302
    assert db.session.get(JudgingSetup, fair.id) is None
