"""Judges: conflicts of interest by organisation (credit code), ties both ways and declarations; the
judges pages, their forms and permissions, and the judges list's query count."""
import pytest
import sqlalchemy as sa
from flask import current_app

from fair.audit.models import AuditEvent
from fair.auth.credit_code import check_character
from fair.auth.models import Invitation, Organisation, OrganisationKind, Role
from fair.extensions import db
from fair.refusal import Refused
from judging import services
from judging.models import ConflictDeclaration, DeclarationKind, Judge, JudgeAffiliation, OrganisationTie, TieKind
from tests.conftest import count_queries, log_in, queries_for
from tests.factories import make_application, make_fair, make_judge, make_organisation, make_shortlisted, make_user


def log_in_as(user):
    """A fresh client logged in as `user` (a judge made by make_judge)."""
    return log_in(current_app.test_client(), user)


def test_conflicts_by_employer_ties_both_ways_and_declaration(fair, organizer):
    employer = make_organisation(name="南京大学", kind=OrganisationKind.government)
    funded = make_organisation(name="受资助志愿队")
    funder = make_organisation(name="资助基金会", kind=OrganisationKind.foundation)
    own = make_application(fair, employer)
    via_forward = make_application(fair, funded)
    via_back = make_application(fair, funder)
    unrelated = make_application(fair)
    declared = make_application(fair)
    db.session.add_all([OrganisationTie(organisation_id=employer.id, related_id=funded.id, kind=TieKind.funds),
                        OrganisationTie(organisation_id=funder.id, related_id=employer.id, kind=TieKind.funds)])
    db.session.commit()
    judge = make_judge(fair, employer=employer)
    other = make_judge(fair)
    services.declare_conflict(other, declared, "declared", "曾担任该项目顾问", actor=other.user)

    assert fair.id      # loaded: the count is the function's own
    with count_queries() as statements:
        pairs = services.conflicted_pairs(fair)
    assert len(statements) == 2
    assert pairs == {(own.id, judge.id), (via_forward.id, judge.id), (via_back.id, judge.id),
                     (declared.id, other.id)}
    assert (unrelated.id, judge.id) not in pairs


def credit_code(number: int) -> str:
    """A valid unified social credit code (check character computed)."""
    first17 = f"5132010{number:010d}"
    return first17 + check_character(first17)


def mistyped(code: str) -> str:
    """The same code with its check character wrong."""
    return code[:-1] + ("0" if code[-1] != "0" else "1")


@pytest.fixture
def organizer_client(client_as):
    return client_as(Role.organizer)


def test_adding_a_known_user_makes_a_judge_with_the_role(organizer_client, fair):
    user = make_user(email="prof@example.cn", name="王教授")
    response = organizer_client.post(f"/fairs/{fair.slug}/judging/judges", data={
        "email": " Prof@example.cn ", "title": "南京大学社会学院教授", "expertise": [fair.categories[0].id]})
    assert response.status_code == 302
    judge = db.session.scalar(sa.select(Judge))
    assert (judge.user_id, judge.title, [c.id for c in judge.expertise]) == (user.id, "南京大学社会学院教授",
                                                                           [fair.categories[0].id])
    assert Role.judge in db.session.get(type(user), user.id).roles_in(fair)
    assert db.session.scalar(sa.select(AuditEvent.id).where(AuditEvent.action == "judging.judge.created"))
    again = organizer_client.post(f"/fairs/{fair.slug}/judging/judges", data={"email": "prof@example.cn"})
    assert again.status_code == 400 and "已是本届展会的评委" in again.get_data(as_text=True)


def test_an_unknown_email_gets_an_invitation_link(organizer_client, fair):
    response = organizer_client.post(f"/fairs/{fair.slug}/judging/judges", data={"email": "new@example.cn",
                                                                                 "name": "李老师"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "/invite/" in html and "new@example.cn" in html
    assert db.session.scalar(sa.select(Judge)) is None
    invitation = db.session.scalar(sa.select(Invitation))
    assert invitation.role == Role.judge and invitation.email == "new@example.cn"


def test_bad_judge_input_stays_in_the_form(organizer_client, fair):
    response = organizer_client.post(f"/fairs/{fair.slug}/judging/judges", data={
        "email": "not-an-email", "title": "专家" * 70})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'value="not-an-email"' in html and "请输入有效的邮箱地址" in html and "不能超过 120 个字" in html


def test_affiliation_by_credit_code_makes_a_conflict(organizer_client, fair):
    code = credit_code(1)
    employer = make_organisation(name="鼓楼区社工站", credit_code=code)
    project = make_shortlisted(fair, 1, organisation=employer)[0]
    judge = make_judge(fair)
    response = organizer_client.post(f"/fairs/{fair.slug}/judging/judges/{judge.id}/affiliations",
                                     data={"credit_code": f"{code[:9]} {code[9:]}".lower(), "kind": "employer"})
    assert response.status_code == 302
    assert services.conflicted_pairs(fair) == {(project.id, judge.id)}
    page = organizer_client.get(f"/fairs/{fair.slug}/judging/judges").get_data(as_text=True)
    assert "鼓楼区社工站" in page


def test_a_mistyped_code_is_refused_and_an_unknown_one_told(organizer_client, fair):
    judge = make_judge(fair)
    url = f"/fairs/{fair.slug}/judging/judges/{judge.id}/affiliations"
    response = organizer_client.post(url, data={"credit_code": mistyped(credit_code(2)), "kind": "employer"})
    assert response.status_code == 400
    assert "校验位不符" in response.get_data(as_text=True)
    unknown = credit_code(3)
    response = organizer_client.post(url, data={"credit_code": unknown, "kind": "member"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert f"没有登记统一社会信用代码为 {unknown} 的单位" in html and f'value="{unknown}"' in html
    assert db.session.scalar(sa.select(JudgeAffiliation)) is None
    with pytest.raises(Refused) as refused:
        services.add_affiliation(judge, unknown, "member", actor=judge.user)
    assert (refused.value.code, refused.value.field) == ("unknown_organisation", "credit_code")
    # the same form registers the organisation when its name is given
    response = organizer_client.post(url, data={"credit_code": unknown, "kind": "member", "new_name": "爱心基金会",
                                                "new_kind": "foundation"})
    assert response.status_code == 302
    organisation = db.session.scalar(sa.select(Organisation).where(Organisation.credit_code == unknown))
    assert organisation.name == "爱心基金会" and organisation.kind == OrganisationKind.foundation
    assert db.session.scalar(sa.select(JudgeAffiliation.organisation_id)) == organisation.id


def test_ties_by_credit_code_work_both_ways(organizer_client, fair):
    employer = make_organisation(name="评委单位", credit_code=credit_code(4))
    partner = make_organisation(name="合作志愿队", credit_code=credit_code(5))
    funder = make_organisation(name="资助方", credit_code=credit_code(6))
    judge = make_judge(fair, employer=employer)
    partner_project, funder_project = make_shortlisted(fair, 1, organisation=partner) + make_shortlisted(
        fair, 1, organisation=funder)
    url = f"/fairs/{fair.slug}/judging/judges/ties"
    assert organizer_client.post(url, data={"first_code": employer.credit_code, "kind": "partners",
                                            "second_code": partner.credit_code}).status_code == 302
    assert organizer_client.post(url, data={"first_code": funder.credit_code, "kind": "funds",
                                            "second_code": employer.credit_code}).status_code == 302
    assert services.conflicted_pairs(fair) == {(partner_project.id, judge.id), (funder_project.id, judge.id)}
    again = organizer_client.post(url, data={"first_code": partner.credit_code, "kind": "partners",
                                             "second_code": employer.credit_code})
    assert again.status_code == 400 and "已登记" in again.get_data(as_text=True)
    same = organizer_client.post(url, data={"first_code": partner.credit_code, "kind": "funds",
                                            "second_code": partner.credit_code})
    assert same.status_code == 400 and "两个不同单位" in same.get_data(as_text=True)
    page = organizer_client.get(f"/fairs/{fair.slug}/judging/judges").get_data(as_text=True)
    assert "合作志愿队" in page and "资助方" in page


def test_a_tie_is_seen_by_every_fair_and_removed_only_by_the_fair_that_declared_it(app, organizer_client, fair):
    first = make_organisation(name="资助基金会", credit_code=credit_code(7))
    second = make_organisation(name="受助志愿队", credit_code=credit_code(8))
    make_shortlisted(fair, 1, organisation=second)
    other_fair = make_fair()
    tie = services.add_tie(first.credit_code, second.credit_code, TieKind.funds, actor=None, fair=other_fair)
    page = organizer_client.get(f"/fairs/{fair.slug}/judging/judges").get_data(as_text=True)
    assert "资助基金会" in page and "由其他展会登记" in page and f"/ties/{tie.id}/remove" not in page
    refused = organizer_client.post(f"/fairs/{fair.slug}/judging/judges/ties/{tie.id}/remove")
    assert refused.status_code == 404 and db.session.get(OrganisationTie, tie.id) is not None
    own = services.add_tie(second.credit_code, first.credit_code, TieKind.partners, actor=None, fair=fair).id
    assert organizer_client.post(f"/fairs/{fair.slug}/judging/judges/ties/{own}/remove").status_code == 302
    assert db.session.get(OrganisationTie, own) is None


def test_a_judge_declares_a_conflict_with_a_reason(client_as, fair):
    project, other = make_shortlisted(fair, 2)
    judge = make_judge(fair)
    client = log_in_as(judge.user)
    page = client.get(f"/fairs/{fair.slug}/judging/conflicts?q={project.title}")
    assert page.status_code == 200 and project.title in page.get_data(as_text=True)
    missing = client.post(f"/fairs/{fair.slug}/judging/conflicts", data={"application_id": project.id,
                                                                         "kind": "declared", "reason": "  "})
    assert missing.status_code == 400 and "此项为必填项" in missing.get_data(as_text=True)
    done = client.post(f"/fairs/{fair.slug}/judging/conflicts", data={"application_id": project.id,
                                                                      "kind": "recused", "reason": "曾任该项目顾问"})
    assert done.status_code == 302
    declaration = db.session.scalar(sa.select(ConflictDeclaration))
    assert (declaration.kind, declaration.reason, declaration.created_by_id) == (
        DeclarationKind.recused, "曾任该项目顾问", judge.user_id)
    assert services.conflicted_pairs(fair) == {(project.id, judge.id)}
    assert db.session.scalar(sa.select(AuditEvent.action).where(AuditEvent.action.like("judging.conflict.%"))) \
        == "judging.conflict.recused"
    twice = client.post(f"/fairs/{fair.slug}/judging/conflicts", data={"application_id": project.id,
                                                                       "kind": "declared", "reason": "again"})
    assert twice.status_code == 400 and "已申报过" in twice.get_data(as_text=True)
    unknown = client.post(f"/fairs/{fair.slug}/judging/conflicts", data={"application_id": 99999,
                                                                         "kind": "declared", "reason": "x"})
    assert unknown.status_code == 400


def test_deactivating_a_judge_is_marked_and_audited(organizer_client, fair):
    judge = make_judge(fair)
    response = organizer_client.post(f"/fairs/{fair.slug}/judging/judges/{judge.id}/active", data={"reason": "生病"})
    assert response.status_code == 302
    db.session.refresh(judge)
    assert judge.active is False
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "judging.judge.deactivated"))
    assert event.after == {"active": False, "reason": "生病"}
    organizer_client.post(f"/fairs/{fair.slug}/judging/judges/{judge.id}/active", data={})
    db.session.refresh(judge)
    assert judge.active is True


def test_editing_a_judge(organizer_client, fair):
    judge = make_judge(fair)
    url = f"/fairs/{fair.slug}/judging/judges/{judge.id}"
    assert organizer_client.get(url).status_code == 200
    response = organizer_client.post(url, data={"title": "社工督导", "expertise": [c.id for c in fair.categories[:2]]})
    assert response.status_code == 302
    db.session.refresh(judge)
    assert judge.title == "社工督导" and len(judge.expertise) == 2
    assert organizer_client.post(url, data={"expertise": ["999999"]}).status_code == 400


def test_permissions(client_as, fair, client):
    judge = make_judge(fair)
    judge_client = log_in_as(judge.user)
    assert judge_client.get(f"/fairs/{fair.slug}/judging/judges").status_code == 403
    assert judge_client.post(f"/fairs/{fair.slug}/judging/judges", data={"email": "x@example.cn"}).status_code == 403
    assert judge_client.get(f"/fairs/{fair.slug}/judging/judges/{judge.id}").status_code == 403
    assert client_as(Role.exhibitor).get(f"/fairs/{fair.slug}/judging/conflicts").status_code == 403
    assert client.get(f"/fairs/{fair.slug}/judging/conflicts").status_code == 302
    # a judge cannot withdraw another judge's declaration
    project = make_shortlisted(fair, 1)[0]
    other = make_judge(fair)
    declaration = services.declare_conflict(other, project, "declared", "亲属", actor=other.user)
    assert judge_client.post(f"/fairs/{fair.slug}/judging/conflicts/{declaration.id}/withdraw").status_code == 403
    assert db.session.scalar(sa.select(ConflictDeclaration.id)) == declaration.id
    # a judge without a profile is told, not shown an error
    bare = client_as(Role.judge)
    page = bare.get(f"/fairs/{fair.slug}/judging/conflicts")
    assert page.status_code == 200 and "尚未为您建立评委信息" in page.get_data(as_text=True)


def _judges(fair, count: int, start: int) -> None:
    for number in range(start, start + count):
        organisation = make_organisation(credit_code=credit_code(100 + number))
        judge = make_judge(fair, employer=organisation, expertise=fair.categories[:2])
        make_shortlisted(fair, 1, organisation=organisation)
        services.declare_conflict(judge, make_shortlisted(fair, 1)[0], "declared", "顾问", actor=judge.user)


def test_judges_page_queries_do_not_grow_with_judges(organizer_client, fair):
    url = f"/fairs/{fair.slug}/judging/judges"
    _judges(fair, 2, 0)
    few = queries_for(organizer_client, url)
    _judges(fair, 12, 2)
    many = queries_for(organizer_client, url)
    assert few == many, (few, many)
    assert many < 25
