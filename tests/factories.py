"""Plain factory functions: each builds one object through the services, overridable by keyword."""
import itertools
from datetime import date, datetime, timedelta, timezone

from fair.auth import services as auth
from fair.auth.models import Organisation, OrganisationKind, Role, User
from fair.fairs import services as fairs
from fair.fairs.models import Fair

PASSWORD = "correct horse battery"
_numbers = itertools.count(1)


def make_organisation(**overrides) -> Organisation:
    number = next(_numbers)
    values = {"name": f"测试志愿服务队{number}", "kind": OrganisationKind.volunteer,
              "province": "江苏省", "city": "南京市", "district": "鼓楼区"}
    values.update(overrides)
    return auth.create_organisation(values.pop("name"), values.pop("kind"), **values)


def make_user(**overrides) -> User:
    number = next(_numbers)
    values = {"email": f"user{number}@example.cn", "name": f"用户{number}", "password": PASSWORD}
    values.update(overrides)
    return auth.create_user(values.pop("email"), values.pop("name"), values.pop("password"), **values)


def fair_details(**overrides) -> fairs.FairDetails:
    number = next(_numbers)
    starts = date(2027, 5, 20)
    values = {
        "slug": f"fair-{number}", "name": f"第{number}届志愿服务项目展示交流会", "city": "南京市",
        "venue": "南京国际博览中心", "starts_on": starts, "ends_on": starts + timedelta(days=2),
        "applications_open_at": datetime(2027, 1, 10, 1, 0, tzinfo=timezone.utc),
        "applications_close_at": datetime(2027, 3, 31, 9, 0, tzinfo=timezone.utc),
    }
    values.update(overrides)
    return fairs.FairDetails(**values)


def make_fair(organizer: User | None = None, **overrides) -> Fair:
    organizer = organizer or make_user(is_admin=True)
    return fairs.create_fair(fair_details(**overrides), actor=organizer)


def make_member(fair: Fair, role: Role, **overrides) -> User:
    user = make_user(**overrides)
    auth.grant_role(fair, user, role, actor=None)
    return user


def make_application(fair: Fair, organisation: Organisation | None = None, *, submit: bool = True, **overrides):
    from fair.applications import services as applications

    organisation = organisation or make_organisation()
    values = {"title": f"社区志愿服务项目{next(_numbers)}", "category": fair.categories[0],
              "summary": "为社区独居老人提供上门探访与助餐服务。", "province": "江苏省", "city": "南京市",
              "district": "鼓楼区", "funding_need_fen": 5_000_000}
    values.update(overrides)
    at = fair.applications_open_at + timedelta(days=1)
    application = applications.create_application(fair, organisation, applications.ProjectDetails(**values),
                                                  actor=None, at=at)
    if submit:
        applications.submit_application(application, actor=None, at=at)
    return application
