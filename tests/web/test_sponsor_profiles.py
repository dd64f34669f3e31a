"""Sponsor profiles: the sponsor's own page (exact budgets in fen, regions of the fair's province, the phone
check, stale edits refused with the input kept), the organizer registering a sponsor and inviting its
representative, the organizer's list with its counts, filters and CSV, a sponsor's page for exhibitors
without contact data, and the list's bounded query count."""
import re
import secrets

import pytest
import sqlalchemy as sa
from flask import current_app

from fair.audit.models import AuditEvent
from fair.auth import services as auth
from fair.auth.models import Invitation, Organisation, OrganisationKind, Role
from fair.extensions import db
from fair.refusal import Refused
from sponsorship import profiles
from sponsorship.access import sponsor_of
from sponsorship.models import AgreementStatus, Bookmark, Meeting, MeetingStatus, Side, SponsorProfile
from sponsorship.profile_views import sponsor_rows
from tests.conftest import log_in, queries_for
from tests.factories import PASSWORD, make_fair, make_member, make_organisation, make_user
from tests.sponsor_factories import make_agreement, make_meeting_area, make_project, make_sponsor


def client_of(user):
    return log_in(current_app.test_client(), user)


def make_representative(sponsor, **overrides):
    """A user of the sponsor's organisation with the sponsor role (the shared factory passes
    `organisation_id`, which create_user does not take)."""
    return make_member(sponsor.fair, Role.sponsor, organisation=sponsor.organisation, **overrides)


def make_project_representative(application, **overrides):
    return make_member(application.fair, Role.exhibitor, organisation=application.organisation, **overrides)


def profiles_count() -> int:
    return db.session.scalar(sa.select(sa.func.count(SponsorProfile.id)))


def events(action: str) -> list[AuditEvent]:
    return db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)).all()


def make_meeting(sponsor, application, slot=None, status=MeetingStatus.accepted) -> Meeting:
    """A meeting row added directly (test data)."""
    meeting = Meeting(fair_id=sponsor.fair_id, sponsor_id=sponsor.id, application_id=application.id,
                      requested_by_side=Side.sponsor, status=status, slot_id=slot.id if slot else None,
                      code=secrets.token_urlsafe(12))
    db.session.add(meeting)
    db.session.commit()
    return meeting


@pytest.fixture
def enterprise():
    return make_organisation(name="金陵爱心科技有限公司", kind=OrganisationKind.enterprise, contact_phone="13900001111")


@pytest.fixture
def representative(fair, enterprise):
    return make_member(fair, Role.sponsor, organisation=enterprise, name="王经理")


def form_data(fair, **overrides) -> dict:
    data = {"version": "0", "introduction": "长期关注养老服务。", "focus_category_ids": [str(fair.categories[0].id)],
            "regions": ["南京市", "苏州市"], "budget_min": "50,000.50", "budget_max": "¥1234567.89",
            "support_offered": ["funds", "volunteers"], "wants": "有成效数据的社区项目", "contact_name": "王经理",
            "contact_phone": "139 0000 2222"}
    data.update(overrides)
    return data


def url(fair, endpoint: str) -> str:
    return f"/fairs/{fair.slug}/sponsorship/{endpoint}"


# --- the sponsor's own profile -------------------------------------------------------------------------

def test_first_save_creates_the_profile_with_exact_amounts(fair, representative, enterprise):
    client = client_of(representative)
    page = client.get(url(fair, "profile"))
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "金陵爱心科技有限公司" in text and "王经理" in text and "苏州市" in text and "杭州市" not in text

    response = client.post(url(fair, "profile"), data=form_data(fair))
    assert response.status_code == 302
    profile = db.session.scalar(sa.select(SponsorProfile))
    assert (profile.fair_id, profile.organisation_id) == (fair.id, enterprise.id)
    assert (profile.budget_min_fen, profile.budget_max_fen) == (5_000_050, 123_456_789)
    assert profile.focus_category_ids == [fair.categories[0].id]
    assert profile.regions == ["南京市", "苏州市"]
    assert profile.support_offered == ["funds", "volunteers"]
    assert profile.contact_phone == "13900002222"
    assert profile.version == 1
    created = events("sponsorship.profile.created")
    assert len(created) == 1 and created[0].actor_id == representative.id
    assert created[0].after["budget_max_fen"] == 123_456_789
    assert sponsor_of(representative, fair).id == profile.id


@pytest.mark.parametrize("typed, fen", [("0.29", 29), ("1.10", 110), ("100000000", 10_000_000_000),
                                         ("19.99", 1999)])
def test_budget_is_converted_to_fen_exactly(fair, representative, typed, fen):
    response = client_of(representative).post(url(fair, "profile"), data=form_data(
        fair, budget_min=typed, budget_max=typed))
    assert response.status_code == 302
    profile = db.session.scalar(sa.select(SponsorProfile))
    assert (profile.budget_min_fen, profile.budget_max_fen) == (fen, fen)


@pytest.mark.parametrize("overrides, field, message", [
    ({"budget_min": "600000", "budget_max": "500000"}, "budget_max", "预算上限不能低于下限"),
    ({"budget_min": "-1"}, "budget_min", "金额不能为负数"),
    ({"budget_max": "100000000.01"}, "budget_max", "金额不能超过 ¥100,000,000"),
    ({"budget_max": "12.345"}, "budget_max", "最多两位小数"),
    ({"budget_min": "五万"}, "budget_min", "请填写金额"),
    ({"contact_phone": "0251234567"}, "contact_phone", "11 位手机号码"),
    ({"contact_phone": ""}, "contact_phone", "此项为必填项"),
    ({"contact_name": ""}, "contact_name", "此项为必填项"),
    ({"regions": ["杭州市"]}, "regions", "请从列出的城市中选择"),
    ({"focus_category_ids": ["999999"]}, "focus_category_ids", "请从本届展会的服务领域中选择"),
    ({"support_offered": []}, "support_offered", "请至少选择一种支持方式"),
    ({"support_offered": ["money"]}, "support_offered", "请从列出的支持方式中选择"),
    ({"introduction": "长" * 2001}, "introduction", "不能超过 2000 个字"),
])
def test_bad_input_is_shown_at_its_field_and_nothing_is_saved(fair, representative, overrides, field, message):
    response = client_of(representative).post(url(fair, "profile"), data=form_data(fair, **overrides))
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert f'id="{field}-error"' in text
    error = text.split(f'id="{field}-error">', 1)[1].split("</div>", 1)[0]
    assert message in error
    assert "有成效数据的社区项目" in text          # the input is kept
    assert profiles_count() == 0 and not events("sponsorship.profile.created")


def test_every_error_is_shown_at_once(fair, representative):
    response = client_of(representative).post(url(fair, "profile"), data=form_data(
        fair, budget_min="600000", budget_max="500000", contact_phone="12345"))
    text = response.get_data(as_text=True)
    assert 'id="budget_max-error"' in text and 'id="contact_phone-error"' in text
    assert "请修改以下 2 处问题" in text


@pytest.mark.parametrize("low, high, code, field", [
    (-1, 100, "negative_amount", "budget_min"),
    (0, profiles.MAX_BUDGET_FEN + 1, "absurd_amount", "budget_max"),
    (500, 499, "budget_out_of_order", "budget_max"),
])
def test_the_service_checks_the_budget_for_every_caller(fair, enterprise, representative, low, high, code, field):
    details = profiles.ProfileDetails(budget_min_fen=low, budget_max_fen=high, support_offered=["funds"],
                                      contact_name="张", contact_phone="13800000000")
    with pytest.raises(Refused) as refused:
        profiles.save_profile(fair, enterprise, details, representative)
    assert (refused.value.code, refused.value.field) == (code, field)
    assert profiles_count() == 0


def test_input_is_kept_after_a_refusal(fair, representative):
    response = client_of(representative).post(url(fair, "profile"), data=form_data(
        fair, budget_min="600000", budget_max="500000", contact_name="李四"))
    text = response.get_data(as_text=True)
    assert 'value="600000"' in text and 'value="李四"' in text
    assert text.count("checked") == 5           # one focus, two regions, two kinds of support


def test_edits_are_version_checked_and_a_stale_form_keeps_its_input(fair, representative, enterprise):
    colleague = make_member(fair, Role.sponsor, organisation=enterprise, name="赵助理")
    mine, theirs = client_of(representative), client_of(colleague)
    assert mine.post(url(fair, "profile"), data=form_data(fair)).status_code == 302
    assert 'name="version" type="hidden" value="1"' in mine.get(url(fair, "profile")).get_data(as_text=True)
    assert theirs.post(url(fair, "profile"), data=form_data(fair, version="1", wants="赵助理的修改")).status_code == 302

    stale = mine.post(url(fair, "profile"), data=form_data(fair, version="1", wants="我的修改"))
    assert stale.status_code == 409
    text = stale.get_data(as_text=True)
    assert "资料刚被同单位的其他代表修改" in text
    assert "我的修改" in text and "赵助理的修改" in text         # my input, and the latest saved beside it
    assert 'value="2"' in text                                  # saving again is a deliberate overwrite
    profile = db.session.scalar(sa.select(SponsorProfile))
    assert (profile.wants, profile.version) == ("赵助理的修改", 2)

    again = mine.post(url(fair, "profile"), data=form_data(fair, version="2", wants="我的修改"))
    assert again.status_code == 302
    db.session.refresh(profile)
    assert (profile.wants, profile.version) == ("我的修改", 3)
    updated = events("sponsorship.profile.updated")
    assert [event.after for event in updated] == [{"wants": "赵助理的修改"}, {"wants": "我的修改"}]


def test_a_form_for_a_new_profile_is_stale_once_a_colleague_created_it(fair, representative, enterprise):
    colleague = make_member(fair, Role.sponsor, organisation=enterprise)
    assert client_of(colleague).post(url(fair, "profile"), data=form_data(fair, wants="先到")).status_code == 302
    response = client_of(representative).post(url(fair, "profile"), data=form_data(fair, version="0", wants="后到"))
    assert response.status_code == 409
    assert db.session.scalar(sa.select(SponsorProfile.wants)) == "先到"


def test_the_profile_lists_the_organisations_representatives(fair, representative, enterprise):
    make_member(fair, Role.sponsor, organisation=enterprise, name="赵助理")
    make_member(fair, Role.exhibitor, organisation=enterprise, name="不是代表")
    make_member(make_fair(), Role.sponsor, organisation=enterprise, name="别届代表")
    text = client_of(representative).get(url(fair, "profile")).get_data(as_text=True)
    assert "赵助理" in text and "王经理" in text
    assert "不是代表" not in text and "别届代表" not in text


def test_a_sponsor_without_an_organisation_is_told_what_to_do(fair, client_as):
    client = client_as(Role.sponsor)
    page = client.get(url(fair, "profile"))
    assert page.status_code == 200
    assert "您的账号还没有关联单位" in page.get_data(as_text=True)
    assert client.post(url(fair, "profile"), data=form_data(fair)).status_code == 403
    assert profiles_count() == 0


def test_a_volunteer_organisation_cannot_be_a_sponsor(fair):
    volunteers = make_organisation(name="青年志愿服务队")
    user = make_member(fair, Role.sponsor, organisation=volunteers)
    text = client_of(user).get(url(fair, "profile")).get_data(as_text=True)
    assert "不能作为支持方" in text and "志愿服务组织" in text
    with pytest.raises(Refused) as refused:
        profiles.save_profile(fair, volunteers, profiles.ProfileDetails(support_offered=["funds"], contact_name="张",
                                                                        contact_phone="13800000000"), user)
    assert refused.value.code == "not_sponsor_kind"


def test_only_sponsors_have_a_profile_page(fair, client_as):
    assert client_as(Role.exhibitor).get(url(fair, "profile")).status_code == 403
    assert client_as(Role.organizer).get(url(fair, "profile")).status_code == 403


def test_only_representatives_and_organizers_save_a_profile(fair, enterprise, organizer):
    details = profiles.ProfileDetails(support_offered=["goods"], contact_name="张", contact_phone="13800000000")
    outsider = make_member(fair, Role.sponsor, organisation=make_organisation(kind=OrganisationKind.foundation))
    with pytest.raises(Refused) as refused:
        profiles.save_profile(fair, enterprise, details, outsider)
    assert refused.value.code == "not_representative"
    saved = profiles.save_profile(fair, enterprise, details, organizer)
    assert saved.support_offered == ["goods"] and profiles_count() == 1


def test_regions_follow_the_fairs_province():
    municipality = make_fair(city="上海市")
    unknown = make_fair(city="Springfield")
    short = make_fair(city="杭州")
    assert profiles.region_choices(municipality) == ("上海市",)
    assert profiles.fair_province(short) == "浙江省" and "温州市" in profiles.region_choices(short)
    assert profiles.fair_province(unknown) is None and "南京市" in profiles.region_choices(unknown)


# --- the organizer registers a sponsor -----------------------------------------------------------------

def test_add_sponsor_grants_an_existing_user_the_role(fair, organizer):
    user = make_user(email="boss@jinling.cn", name="钱总")
    profile, representative = profiles.add_sponsor(fair, "金陵银行", OrganisationKind.enterprise, "Boss@Jinling.cn ",
                                                   "", organizer)
    assert representative.id == user.id
    db.session.refresh(user)
    assert user.organisation.name == "金陵银行" and user.has_role(fair, Role.sponsor)
    assert sponsor_of(user, fair).id == profile.id
    assert profile.organisation.kind is OrganisationKind.enterprise
    assert [event.after["representative"] for event in events("sponsorship.sponsor.added")] == ["boss@jinling.cn"]
    assert len(events("auth.organisation.created")) == 1 and len(events("auth.membership.created")) == 1


def test_add_sponsor_invites_an_unknown_email_to_the_organisation(fair, organizer):
    added = profiles.add_sponsor(fair, "南京慈善基金会", "foundation", "new@charity.cn", "孙秘书长", organizer)
    invitation = added.representative
    assert isinstance(invitation, Invitation) and added.token
    assert (invitation.role, invitation.organisation_id, invitation.name) == (
        Role.sponsor, added.profile.organisation_id, "孙秘书长")
    user = auth.accept_invitation(added.token, name="孙秘书长", password=PASSWORD)
    assert sponsor_of(user, fair).id == added.profile.id


def test_add_sponsor_brings_along_the_users_own_organisation(fair, organizer):
    bank = make_organisation(name="苏州银行", kind=OrganisationKind.enterprise)
    user = make_user(organisation=bank)
    profile, _ = profiles.add_sponsor(fair, "苏州银行", "enterprise", user.email, "", organizer)
    assert profile.organisation_id == bank.id
    assert db.session.scalar(sa.select(sa.func.count(Organisation.id)).where(Organisation.name == "苏州银行")) == 1


@pytest.mark.parametrize("case, code, field", [
    ("other_organisation", "other_organisation", "email"),
    ("volunteer_kind", "not_sponsor_kind", "kind"),
    ("duplicate", "already_sponsor", "organisation_name"),
    ("bad_email", "email", "email"),
    ("no_name", "required", "organisation_name"),
])
def test_add_sponsor_refusals_leave_nothing_behind(fair, organizer, case, code, field):
    make_sponsor(fair, organisation=make_organisation(name="已登记企业", kind=OrganisationKind.enterprise))
    elsewhere = make_user(email="staff@other.cn", organisation=make_organisation(name="别家公司",
                                                                                 kind=OrganisationKind.enterprise))
    arguments = {"other_organisation": ("新企业", "enterprise", elsewhere.email),
                 "volunteer_kind": ("新企业", "volunteer", "a@b.cn"),
                 "duplicate": ("已登记企业", "enterprise", "c@d.cn"),
                 "bad_email": ("新企业", "enterprise", "not-an-email"),
                 "no_name": ("  ", "enterprise", "e@f.cn")}[case]
    organisations = db.session.scalar(sa.select(sa.func.count(Organisation.id)))
    with pytest.raises(Refused) as refused:
        profiles.add_sponsor(fair, *arguments, "", organizer)
    assert (refused.value.code, refused.value.field) == (code, field)
    assert db.session.scalar(sa.select(sa.func.count(Organisation.id))) == organisations
    assert profiles_count() == 1 and db.session.scalar(sa.select(sa.func.count(Invitation.id))) == 0


def test_the_organizer_adds_a_sponsor_on_the_list_page(fair, client_as):
    client = client_as(Role.organizer)
    response = client.post(url(fair, "sponsors"), data={"organisation_name": "江苏公益基金会", "kind": "foundation",
                                                         "email": "rep@jsfund.cn", "person_name": "周老师"})
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "/invite/" in text and "rep@jsfund.cn" in text and "江苏公益基金会" in text
    assert profiles_count() == 1

    refused = client.post(url(fair, "sponsors"), data={"organisation_name": "江苏公益基金会", "kind": "foundation",
                                                        "email": "other@jsfund.cn"})
    assert refused.status_code == 400
    assert "已是本届展会的支持方" in refused.get_data(as_text=True) and profiles_count() == 1
    bad = client.post(url(fair, "sponsors"), data={"organisation_name": "某公司", "kind": "government",
                                                    "email": "x@y.cn"})
    assert bad.status_code == 400 and profiles_count() == 1


def test_adding_an_existing_user_goes_to_the_sponsors_page(fair, client_as):
    make_user(email="known@corp.cn", name="熟人")
    response = client_as(Role.organizer).post(url(fair, "sponsors"), data={
        "organisation_name": "熟人公司", "kind": "enterprise", "email": "known@corp.cn"})
    profile = db.session.scalar(sa.select(SponsorProfile))
    assert response.status_code == 302 and response.location.endswith(f"/sponsors/{profile.id}")


# --- the organizer's list ------------------------------------------------------------------------------

def test_the_list_shows_counts_read_from_the_database(fair, client_as):
    sponsor = make_sponsor(fair, organisation=make_organisation(name="甲企业", kind=OrganisationKind.enterprise),
                           contact_name="甲联系人", contact_phone="13911112222")
    make_sponsor(fair, kind=OrganisationKind.foundation, organisation=make_organisation(
        name="乙基金会", kind=OrganisationKind.foundation))
    make_representative(sponsor)
    make_representative(sponsor)
    first, second = make_project(fair), make_project(fair)
    db.session.add_all([Bookmark(sponsor_id=sponsor.id, application_id=first.id),
                        Bookmark(sponsor_id=sponsor.id, application_id=second.id)])
    db.session.commit()
    _, slots = make_meeting_area(fair)
    make_meeting(sponsor, first, slots[0])
    make_meeting(sponsor, second, slots[1], status=MeetingStatus.held)
    make_meeting(sponsor, second, slots[2], status=MeetingStatus.declined)        # not counted
    make_agreement(sponsor, first, amount_fen=12_000_000)
    make_agreement(sponsor, second, amount_fen=3_000_050)
    make_agreement(sponsor, second, amount_fen=99_900_000, status=AgreementStatus.draft)   # not counted

    rows = {row.profile.organisation.name: row for row in sponsor_rows(fair)}
    row = rows["甲企业"]
    assert (row.representatives, row.bookmarks, row.meetings, row.signed, row.signed_fen) == (2, 2, 2, 2, 15_000_050)
    assert (rows["乙基金会"].representatives, rows["乙基金会"].signed_fen) == (0, 0)

    text = client_as(Role.organizer).get(url(fair, "sponsors")).get_data(as_text=True)
    assert "甲企业" in text and "乙基金会" in text
    assert "¥150,000.50" in text and "13911112222" in text


def test_filters_by_kind_and_focus(fair, client_as):
    second = fair.categories[1]
    make_sponsor(fair, organisation=make_organisation(name="企业甲", kind=OrganisationKind.enterprise))
    make_sponsor(fair, organisation=make_organisation(name="基金会乙", kind=OrganisationKind.foundation),
                 focus_category_ids=[second.id])
    make_sponsor(fair, organisation=make_organisation(name="社工丙", kind=OrganisationKind.social_work),
                 focus_category_ids=[fair.categories[0].id, second.id])
    client = client_as(Role.organizer)

    def names(query: str) -> set[str]:
        text = client.get(url(fair, "sponsors") + query).get_data(as_text=True)
        return {name for name in ("企业甲", "基金会乙", "社工丙") if name in text}

    assert names("") == {"企业甲", "基金会乙", "社工丙"}
    assert names("?kind=foundation") == {"基金会乙"}
    assert names(f"?focus={second.id}") == {"基金会乙", "社工丙"}
    assert names(f"?kind=social_work&focus={second.id}") == {"社工丙"}
    assert names("?kind=nonsense&focus=abc") == {"企业甲", "基金会乙", "社工丙"}


def test_csv_export_is_for_organizers_and_audited(fair, client_as):
    make_sponsor(fair, organisation=make_organisation(name="导出企业", kind=OrganisationKind.enterprise),
                 contact_name="导出联系人", contact_phone="13712345678", budget_min_fen=1_000_050)
    make_sponsor(fair, organisation=make_organisation(name="别的基金会", kind=OrganisationKind.foundation))
    response = client_as(Role.organizer).get(url(fair, "sponsors.csv") + "?kind=enterprise")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.data.decode("utf-8-sig")
    assert "导出企业" in text and "13712345678" in text and "10000.50" in text
    assert "别的基金会" not in text
    exported = events("sponsorship.sponsors.exported")
    assert len(exported) == 1 and exported[0].after == {"rows": 1, "kind": "enterprise"}
    for role in (Role.sponsor, Role.exhibitor):
        assert client_as(role).get(url(fair, "sponsors.csv")).status_code == 403
        assert client_as(role).get(url(fair, "sponsors")).status_code == 403


# --- one sponsor's page --------------------------------------------------------------------------------

def test_exhibitors_see_the_public_profile_without_contact_data(fair, client_as):
    sponsor = make_sponsor(fair, contact_name="保密联系人", contact_phone="13698765432", wants="想看助老项目")
    representative = make_representative(sponsor, email="secret-rep@corp.cn")
    exhibitor = make_project_representative(make_project(fair))
    page = client_of(exhibitor).get(url(fair, f"sponsors/{sponsor.id}"))
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert sponsor.organisation.name in text and "想看助老项目" in text and "¥50,000 – ¥500,000" in text
    assert "13698765432" not in text and "保密联系人" not in text and representative.email not in text

    organizer_text = client_as(Role.organizer).get(url(fair, f"sponsors/{sponsor.id}")).get_data(as_text=True)
    assert "13698765432" in organizer_text and "保密联系人" in organizer_text and representative.email in organizer_text


def test_a_sponsor_page_of_another_fair_is_not_found(fair, client_as):
    elsewhere = make_sponsor(make_fair())
    assert client_as(Role.organizer).get(url(fair, f"sponsors/{elsewhere.id}")).status_code == 404
    assert client_as(Role.organizer).get(url(fair, "sponsors/999999")).status_code == 404


def test_sponsors_do_not_see_each_others_pages(fair):
    sponsor, other = make_sponsor(fair), make_sponsor(fair)
    assert client_of(make_representative(sponsor)).get(url(fair, f"sponsors/{other.id}")).status_code == 403


# --- navigation and query counts -----------------------------------------------------------------------

def test_navigation_by_role(fair, client_as, representative):
    """The area's tabs: the sponsor's profile then bookmarks; the organizer's sponsors list, highlighted on a
    sponsor's page."""
    sponsor_page = client_of(representative).get(url(fair, "profile")).get_data(as_text=True)
    tabs = sponsor_page.split('class="fair-subtabs"', 1)[1]
    assert tabs.index(url(fair, "profile")) < tabs.index(url(fair, "bookmarks"))
    assert url(fair, "sponsors") not in sponsor_page
    sponsor = make_sponsor(fair)
    organizer_page = client_as(Role.organizer).get(url(fair, f"sponsors/{sponsor.id}")).get_data(as_text=True)
    tabs = organizer_page.split('class="fair-subtabs"', 1)[1]
    assert re.search(r'nav-link active"\s+aria-current="page"\s+href="' + re.escape(url(fair, "sponsors")) + '"', tabs)
    assert url(fair, "profile") not in organizer_page


def populate(fair, slots) -> None:
    """A sponsor per slot, each with a representative, a bookmark, a meeting, a signed agreement, an invitation."""
    project = make_project(fair)
    organizer = fair.members(Role.organizer)[0]
    for number, slot in enumerate(slots):
        sponsor = make_sponsor(fair, kind=[OrganisationKind.enterprise, OrganisationKind.foundation][number % 2])
        make_representative(sponsor)
        db.session.add(Bookmark(sponsor_id=sponsor.id, application_id=project.id))
        db.session.commit()
        make_meeting(sponsor, project, slot)
        make_agreement(sponsor, project)
        auth.invite(fair, f"invitee{slot.id}@corp.cn", Role.sponsor, organisation=sponsor.organisation, actor=organizer)


def test_the_list_runs_a_bounded_number_of_queries(fair, client_as):
    client = client_as(Role.organizer)
    _, slots = make_meeting_area(fair, tables=1, slots=50)
    populate(fair, slots[:5])
    few = queries_for(client, url(fair, "sponsors"))
    populate(fair, slots[5:])
    assert db.session.scalar(sa.select(sa.func.count(SponsorProfile.id))) == 50
    many = queries_for(client, url(fair, "sponsors"))
    assert few == many
    assert queries_for(client, url(fair, f"sponsors?focus={fair.categories[0].id}&kind=enterprise")) <= many
