from datetime import timedelta

import pytest
import sqlalchemy as sa

from fair.applications import services
from fair.applications.models import Application, ApplicationStatus
from fair.auth.models import Role
from fair.extensions import db
from fair.refusal import Refused
from tests.conftest import queries_for
from tests.factories import make_application, make_member, make_organisation


def _details(fair, **overrides):
    values = {"title": "银龄食堂", "category": fair.categories[0], "funding_need_fen": 12_000_000,
              "summary": "社区助餐", "province": "江苏省", "city": "南京市"}
    values.update(overrides)
    return services.ProjectDetails(**values)


def test_the_window_is_enforced_on_the_server(fair):
    organisation = make_organisation()
    with pytest.raises(Refused) as early:
        services.create_application(fair, organisation, _details(fair), actor=None,
                                    at=fair.applications_open_at - timedelta(seconds=1))
    assert early.value.code == "not_open"
    draft = services.create_application(fair, organisation, _details(fair), actor=None, at=fair.applications_open_at)
    with pytest.raises(Refused) as late:
        services.submit_application(draft, actor=None, at=fair.applications_close_at)
    assert late.value.code == "closed"
    assert "2027年3月31日 17:00:00" in late.value.message          # said in the fair's timezone
    assert draft.status == ApplicationStatus.draft


def test_submitting_twice_is_refused(fair):
    application = make_application(fair)
    with pytest.raises(Refused) as again:
        services.submit_application(application, actor=None, at=fair.applications_open_at + timedelta(days=2))
    assert again.value.code == "not_draft"


def test_category_must_belong_to_the_fair(fair):
    from tests.factories import make_fair
    other = make_fair(slug="other-fair")
    with pytest.raises(Refused) as refused:
        services.create_application(fair, make_organisation(), _details(fair, category=other.categories[0]),
                                    actor=None, at=fair.applications_open_at)
    assert refused.value.field == "category"
    assert db.session.scalar(sa.select(sa.func.count(Application.id))) == 0


def test_organizer_lists_and_filters(client_as, fair):
    elderly, environment = fair.categories[0], fair.categories[3]
    make_application(fair, title="银龄食堂", category=elderly, funding_need_fen=12_000_000)
    make_application(fair, title="河道守护", category=environment, submit=False)
    client = client_as(Role.organizer)
    page = client.get(f"/fairs/{fair.slug}/applications").get_data(as_text=True)
    assert "银龄食堂" in page and "河道守护" in page and "¥120,000" in page
    only_environment = client.get(f"/fairs/{fair.slug}/applications", query_string={"category": environment.id})
    assert "河道守护" in only_environment.get_data(as_text=True)
    assert "银龄食堂" not in only_environment.get_data(as_text=True)
    drafts = client.get(f"/fairs/{fair.slug}/applications", query_string={"status": "draft"}).get_data(as_text=True)
    assert "河道守护" in drafts and "银龄食堂" not in drafts
    assert client.get(f"/fairs/{fair.slug}/applications", query_string={"category": "x", "status": "'"}
                      ).status_code == 200


def test_exhibitors_see_only_their_own_projects(client_as, app, fair):
    mine, theirs = make_organisation(), make_organisation()
    make_application(fair, mine, title="我们的项目")
    make_application(fair, theirs, title="别人的项目")
    exhibitor = make_member(fair, Role.exhibitor, organisation=mine)
    from tests.conftest import log_in
    client = log_in(app.test_client(), exhibitor)
    page = client.get(f"/fairs/{fair.slug}/my-projects").get_data(as_text=True)
    assert "我们的项目" in page and "别人的项目" not in page
    assert client.get(f"/fairs/{fair.slug}/applications").status_code == 403


def test_list_queries_do_not_grow(client_as, fair):
    client = client_as(Role.organizer)
    make_application(fair)

    def queries() -> int:
        return queries_for(client, f"/fairs/{fair.slug}/applications")

    few = queries()
    for _ in range(40):
        make_application(fair)
    assert queries() == few
