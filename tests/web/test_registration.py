"""An organisation registers itself for a fair that takes applications: one form, one transaction."""
import pytest
import sqlalchemy as sa

from fair.audit.models import AuditEvent
from fair.auth import services
from fair.auth.models import Membership, Organisation, OrganisationKind, Role, User
from fair.extensions import db
from fair.fairs.models import Phase
from fair.refusal import Refused
from tests.factories import make_organisation, make_user

FORM = {
    "organisation_name": "南京市鼓楼区阳光助老志愿服务队", "credit_code": "53320106MJ5480001P", "kind": "volunteer",
    "province": "江苏省", "city": "南京市", "district": "鼓楼区",
    "contact_name": "周晓梅", "contact_phone": "138 0013 8000",
    "name": "周晓梅", "email": "Zhou@Example.cn", "password": "sunshine-2027", "confirm": "sunshine-2027",
}


@pytest.fixture
def open_fair(fair, organizer):
    from fair.fairs import services as fairs
    return fairs.move_phase(fair, Phase.applications_open, actor=organizer)


def url(fair) -> str:
    return f"/fairs/{fair.slug}/register"


def counts() -> tuple[int, int, int]:
    db.session.rollback()
    return tuple(db.session.scalar(sa.select(sa.func.count(model.id))) for model in (Organisation, User, Membership))


def test_the_code_in_the_form_is_valid():
    assert services.check_credit_code(FORM["credit_code"]) == FORM["credit_code"]


def test_an_organisation_registers_and_lands_on_its_projects(client, open_fair):
    response = client.post(url(open_fair), data=FORM)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/fairs/{open_fair.slug}/my-projects"
    user = db.session.scalar(sa.select(User).where(User.email == "zhou@example.cn"))
    organisation = user.organisation
    assert (organisation.name, organisation.kind, organisation.credit_code) == (
        "南京市鼓楼区阳光助老志愿服务队", OrganisationKind.volunteer, "53320106MJ5480001P")
    assert organisation.region == "江苏省南京市鼓楼区"
    assert (organisation.contact_name, organisation.contact_phone) == ("周晓梅", "13800138000")
    assert user.roles_in(open_fair) == {Role.exhibitor}
    actions = db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.fair_id == open_fair.id,
                                                                   AuditEvent.actor_id == user.id)).all()
    assert sorted(actions) == ["auth.membership.created", "auth.organisation.created", "auth.user.created"]
    page = client.get(f"/fairs/{open_fair.slug}/my-projects")          # logged in as the new user
    assert page.status_code == 200 and "南京市鼓楼区阳光助老志愿服务队" in page.get_data(as_text=True)


def test_the_welcome_page_links_to_registration_while_applications_are_open(client, open_fair):
    assert f'href="/fairs/{open_fair.slug}/register"' in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("phase", [Phase.screening, Phase.closed])
def test_registration_is_closed_outside_the_application_phase(client, fair, phase):
    fair.phase = phase
    db.session.commit()
    before = counts()
    page = client.get(url(fair))
    assert page.status_code == 200
    assert "不再接受申报单位注册" in page.get_data(as_text=True) and 'name="credit_code"' not in page.get_data(as_text=True)
    assert client.post(url(fair), data=FORM).status_code == 403
    assert counts() == before


def test_a_draft_fair_is_not_public(client, fair):
    assert client.get(url(fair)).status_code == 404
    assert client.get("/fairs/no-such-fair/register").status_code == 404


def test_the_service_refuses_a_closed_fair(fair):
    details = services.OrganisationDetails("某志愿队", OrganisationKind.volunteer, FORM["credit_code"], "江苏省", "南京市",
                                           contact_name="张三", contact_phone="13800138000")
    with pytest.raises(Refused) as refused:
        services.register_exhibitor(fair, details, name="张三", email="z@example.cn", password="long enough")
    assert refused.value.code == "registration_closed"


def refused(client, fair, field: str, message: str, **changes):
    """The message shows under its field, what was typed comes back, and nothing at all is saved."""
    before = counts()
    response = client.post(url(fair), data={**FORM, **changes})
    page = response.get_data(as_text=True)
    assert response.status_code == 400, page
    assert f'id="{field}-error">{message}' in page
    assert 'value="南京市鼓楼区阳光助老志愿服务队"' in page or changes.get("organisation_name") is not None
    assert counts() == before
    return page


@pytest.mark.parametrize("code, message", [
    ("53320106MJ5480001X", "统一社会信用代码校验位不符"),
    ("53320106MJ548000", "统一社会信用代码应为 18 位，当前为 16 位。"),
    ("53320106MJ5480OO1L", "统一社会信用代码只含数字和大写字母"),
])
def test_a_wrong_credit_code_is_refused_next_to_it(client, open_fair, code, message):
    page = refused(client, open_fair, "credit_code", message, credit_code=code)
    assert f'value="{code}"' in page


def test_a_taken_credit_code_or_email_is_refused_and_nothing_is_half_saved(client, open_fair):
    make_organisation(credit_code=FORM["credit_code"])
    refused(client, open_fair, "credit_code", "该统一社会信用代码已登记。")
    make_user(email="zhou@example.cn")
    refused(client, open_fair, "email", "该邮箱已注册，请直接登录。", credit_code="91350100M000100Y43")


@pytest.mark.parametrize("field, message, changes", [
    ("organisation_name", "此项为必填项。", {"organisation_name": " "}),
    ("organisation_name", "不能超过 120 个字", {"organisation_name": "长" * 121}),
    ("contact_phone", "请填写 11 位手机号码，以 1 开头。", {"contact_phone": "025-8888888"}),
    ("contact_phone", "请填写 11 位手机号码，以 1 开头。", {"contact_phone": "2380013800"}),
    ("city", "请选择江苏省的城市。", {"city": "杭州市"}),
    ("province", "此项为必填项。", {"province": ""}),
    ("confirm", "两次输入的密码不一致。", {"confirm": "something else"}),
    ("password", "密码至少需要 8 个字符。", {"password": "short", "confirm": "short"}),
    ("email", "请输入有效的邮箱地址。", {"email": "not-an-address"}),
])
def test_bad_input_is_refused_next_to_its_field(client, open_fair, field, message, changes):
    refused(client, open_fair, field, message, **changes)


def test_several_mistakes_are_marked_at_once(client, open_fair):
    refused(client, open_fair, "credit_code", "统一社会信用代码校验位不符", credit_code="53320106MJ5480001X",
            contact_phone="12345", name="")
    page = client.post(url(open_fair), data={**FORM, "credit_code": "53320106MJ5480001X", "contact_phone": "12345",
                                             "name": ""}).get_data(as_text=True)
    assert 'id="contact_phone-error">请填写 11 位手机号码，以 1 开头。' in page
    assert 'id="name-error">此项为必填项。' in page


def test_two_registrations_at_once_make_one_account(open_fair, monkeypatch):
    """The unique key decides when both pass the check (simulated: the check misses the first account)."""
    make_user(email="zhou@example.cn")
    real, calls = services.find_user, []

    def misses_the_first_time(email):
        calls.append(email)
        return real(email) if len(calls) > 1 else None

    monkeypatch.setattr(services, "find_user", misses_the_first_time)
    before = counts()
    details = services.OrganisationDetails("某志愿队", OrganisationKind.volunteer, FORM["credit_code"], "江苏省", "南京市",
                                           contact_name="张三", contact_phone="13800138000")
    with pytest.raises(Refused) as refused:
        services.register_exhibitor(open_fair, details, name="张三", email="zhou@example.cn", password="long enough")
    assert (refused.value.code, refused.value.field) == ("email_taken", "email")
    assert counts() == before


def test_the_form_offers_provinces_and_their_cities(client, open_fair):
    page = client.get(url(open_fair)).get_data(as_text=True)
    assert '<option value="江苏省">江苏省</option>' in page
    assert '<optgroup label="江苏省"><option value="南京市">南京市</option>' in page
    assert 'data-province="province"' in page and "js/region.js" in page
    assert 'value="volunteer" selected' in page or 'selected value="volunteer"' in page


def test_a_logged_in_user_is_not_offered_a_second_account(client_as, open_fair):
    page = client_as(Role.judge).get(url(open_fair)).get_data(as_text=True)
    assert "请先退出登录" in page and 'name="credit_code"' not in page


def test_create_organisation_checks_a_given_code():
    with pytest.raises(Refused) as wrong:
        services.create_organisation("某基金会", OrganisationKind.foundation, credit_code="91350100M000100Y44")
    assert (wrong.value.code, wrong.value.field) == ("credit_code_check", "credit_code")
    organisation = services.create_organisation("某基金会", OrganisationKind.foundation, credit_code=" 91350100m000100y43")
    assert organisation.credit_code == "91350100M000100Y43"
    assert services.create_organisation("无代码的单位", OrganisationKind.volunteer).credit_code is None
