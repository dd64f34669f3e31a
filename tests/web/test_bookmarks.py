"""Bookmarks: a sponsor representative bookmarks exhibited projects of its own fair (a double click leaves one
row, never an error page), writes notes, removes them; the page goes back only to a relative `next`; another
fair's project is not found; the button on the catalog's project page."""
import pytest
import sqlalchemy as sa
from flask import current_app, render_template

from fair.applications.models import ApplicationStatus
from fair.audit.models import AuditEvent
from fair.auth.models import OrganisationKind, Role
from fair.extensions import db
from fair.refusal import Refused
from sponsorship import profiles
from sponsorship.models import Bookmark
from tests.conftest import log_in
from tests.factories import make_application, make_fair, make_member, make_organisation
from tests.sponsor_factories import make_project, make_sponsor


def make_representative(sponsor, **overrides):
    """A user of the sponsor's organisation with the sponsor role (the shared factory passes
    `organisation_id`, which create_user does not take)."""
    return make_member(sponsor.fair, Role.sponsor, organisation=sponsor.organisation, **overrides)


def client_of(user):
    return log_in(current_app.test_client(), user)


def bookmarks() -> list[Bookmark]:
    return db.session.scalars(sa.select(Bookmark).order_by(Bookmark.id)).all()


def actions() -> list[str]:
    return db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.action.like("sponsorship.bookmark%"))
                              .order_by(AuditEvent.id)).all()


def bookmark_url(fair, application) -> str:
    return f"/fairs/{fair.slug}/sponsorship/projects/{application.id}/bookmark"


@pytest.fixture
def sponsor(fair):
    return make_sponsor(fair)


@pytest.fixture
def representative(sponsor):
    return make_representative(sponsor, name="钱代表")


@pytest.fixture
def project(fair):
    return make_project(fair, title="社区助老食堂")


def test_bookmark_and_remove_through_the_page(fair, sponsor, representative, project):
    client = client_of(representative)
    back = f"/fairs/{fair.slug}/sponsorship/projects/{project.id}?from=catalog"
    added = client.post(bookmark_url(fair, project), data={"bookmarked": "1", "next": back})
    assert added.status_code == 302 and added.location == back
    assert [(b.sponsor_id, b.application_id) for b in bookmarks()] == [(sponsor.id, project.id)]

    removed = client.post(bookmark_url(fair, project), data={"bookmarked": "0", "next": back})
    assert removed.status_code == 302 and bookmarks() == []
    assert actions() == ["sponsorship.bookmark.added", "sponsorship.bookmark.removed"]


def test_a_double_click_leaves_one_bookmark(fair, representative, project):
    client = client_of(representative)
    for _ in range(2):
        assert client.post(bookmark_url(fair, project), data={"bookmarked": "1"}).status_code == 302
    assert len(bookmarks()) == 1 and actions() == ["sponsorship.bookmark.added"]
    for _ in range(2):
        assert client.post(bookmark_url(fair, project), data={"bookmarked": "0"}).status_code == 302
    assert bookmarks() == [] and actions() == ["sponsorship.bookmark.added", "sponsorship.bookmark.removed"]


def test_two_clicks_racing_are_caught_by_the_unique_key(sponsor, representative, project, monkeypatch):
    """The second request read "not bookmarked" before the first one committed: the unique key catches it."""
    assert profiles.toggle_bookmark(sponsor, project, representative) is True
    monkeypatch.setattr(profiles, "bookmark_of", lambda *_: None)
    assert profiles.toggle_bookmark(sponsor, project, representative, want=True) is True
    assert len(bookmarks()) == 1


def test_toggle_without_a_wanted_state_flips(sponsor, representative, project):
    assert profiles.toggle_bookmark(sponsor, project, representative) is True
    assert profiles.toggle_bookmark(sponsor, project, representative) is False
    assert profiles.toggle_bookmark(sponsor, project, None) is True         # the demo builder: no actor
    assert len(bookmarks()) == 1


def test_only_exhibited_projects_can_be_bookmarked(fair, sponsor, representative):
    submitted = make_application(fair)           # not shortlisted
    client = client_of(representative)
    response = client.post(bookmark_url(fair, submitted), data={"bookmarked": "1"}, follow_redirects=True)
    assert "只能收藏参展项目" in response.get_data(as_text=True)
    assert bookmarks() == []
    with pytest.raises(Refused) as refused:
        profiles.toggle_bookmark(sponsor, submitted, representative)
    assert refused.value.code == "not_exhibited"


def test_a_withdrawn_projects_bookmark_can_still_be_removed(fair, sponsor, representative, project):
    profiles.toggle_bookmark(sponsor, project, representative)
    project.status = ApplicationStatus.withdrawn
    db.session.commit()
    page = client_of(representative).get(f"/fairs/{fair.slug}/sponsorship/bookmarks").get_data(as_text=True)
    assert "已不在展" in page
    assert profiles.toggle_bookmark(sponsor, project, representative, want=False) is False
    assert bookmarks() == []


def test_another_fairs_project_is_not_found(fair, representative):
    elsewhere = make_project(make_fair())
    assert client_of(representative).post(bookmark_url(fair, elsewhere), data={"bookmarked": "1"}).status_code == 404
    missing = f"/fairs/{fair.slug}/sponsorship/projects/999999/bookmark"
    assert client_of(representative).post(missing, data={"bookmarked": "1"}).status_code == 404
    assert bookmarks() == []


def test_a_sponsor_of_one_fair_cannot_bookmark_in_another(fair, sponsor, representative):
    other_fair = make_fair()
    other_project = make_project(other_fair)
    client = client_of(representative)
    assert client.post(bookmark_url(other_fair, other_project), data={"bookmarked": "1"}).status_code == 403
    with pytest.raises(Refused) as refused:
        profiles.toggle_bookmark(sponsor, other_project, representative)
    assert refused.value.code == "other_fair"
    # a sponsor role in the other fair too, but no profile there: the profile comes first
    both = client_of(make_member(other_fair, Role.sponsor, organisation=sponsor.organisation))
    response = both.post(bookmark_url(other_fair, other_project), data={"bookmarked": "1"})
    assert response.status_code == 302 and response.location.endswith(f"/fairs/{other_fair.slug}/sponsorship/profile")
    assert bookmarks() == []


def test_only_the_sponsors_representatives_bookmark(fair, sponsor, project):
    outsider = make_member(fair, Role.sponsor, organisation=make_organisation(kind=OrganisationKind.foundation))
    with pytest.raises(Refused) as refused:
        profiles.toggle_bookmark(sponsor, project, outsider)
    assert refused.value.code == "not_representative"
    for role in (Role.organizer, Role.exhibitor):
        assert client_of(make_member(fair, role)).post(bookmark_url(fair, project),
                                                       data={"bookmarked": "1"}).status_code == 403
    assert bookmarks() == []


@pytest.mark.parametrize("target", ["https://evil.example/x", "//evil.example/x", "javascript:alert(1)", "\\\\evil"])
def test_next_must_be_a_relative_path(fair, representative, project, target):
    response = client_of(representative).post(bookmark_url(fair, project), data={"bookmarked": "1", "next": target})
    assert response.status_code == 302
    assert response.location == f"/fairs/{fair.slug}/sponsorship/bookmarks"


def test_notes_are_saved_and_too_long_ones_refused(fair, sponsor, representative, project):
    client = client_of(representative)
    note_url = bookmark_url(fair, project) + "/note"
    field = f"b{project.id}-note"
    not_yet = client.post(note_url, data={field: "先写备注"}, follow_redirects=True)
    assert "请先收藏该项目" in not_yet.get_data(as_text=True)

    profiles.toggle_bookmark(sponsor, project, representative)
    assert client.post(note_url, data={field: "  想了解  志愿者培训 "}).status_code == 302
    assert bookmarks()[0].note == "想了解 志愿者培训"
    page = client.get(f"/fairs/{fair.slug}/sponsorship/bookmarks").get_data(as_text=True)
    assert "社区助老食堂" in page and "想了解 志愿者培训" in page
    assert f"/fairs/{fair.slug}/sponsorship/projects/{project.id}" in page

    too_long = client.post(note_url, data={field: "长" * 201})
    assert too_long.status_code == 400
    assert "不能超过 200 个字" in too_long.get_data(as_text=True) and "长" * 201 in too_long.get_data(as_text=True)
    assert bookmarks()[0].note == "想了解 志愿者培训"
    assert actions() == ["sponsorship.bookmark.added", "sponsorship.bookmark.noted"]


def test_the_bookmarks_page_shows_only_ones_own(fair, sponsor, representative, project):
    other = make_sponsor(fair)
    hidden = make_project(fair, title="别家收藏的项目")
    profiles.toggle_bookmark(other, hidden, None)
    profiles.toggle_bookmark(sponsor, project, None)
    page = client_of(representative).get(f"/fairs/{fair.slug}/sponsorship/bookmarks").get_data(as_text=True)
    assert "社区助老食堂" in page and "别家收藏的项目" not in page


def test_the_bookmarks_page_needs_a_profile_first(fair):
    organisation = make_organisation(kind=OrganisationKind.enterprise)
    user = make_member(fair, Role.sponsor, organisation=organisation)
    response = client_of(user).get(f"/fairs/{fair.slug}/sponsorship/bookmarks")
    assert response.status_code == 302 and response.location.endswith("/sponsorship/profile")
    unlinked = client_of(make_member(fair, Role.sponsor)).get(f"/fairs/{fair.slug}/sponsorship/bookmarks")
    assert unlinked.status_code == 200 and "您的账号还没有关联单位" in unlinked.get_data(as_text=True)


def render_action(fair, application, sponsor, user) -> str:
    with current_app.test_request_context(f"/fairs/{fair.slug}/sponsorship/projects/{application.id}?q=老"):
        return render_template("sponsorship/_bookmark_action.html", fair=fair, application=application,
                               sponsor=sponsor, current_user=user)


def test_the_action_panel_toggles_and_shows_the_note(fair, sponsor, representative, project):
    before = render_action(fair, project, sponsor, representative)
    assert "收藏项目" in before and 'name="bookmarked" value="1"' in before
    assert f'name="next" value="/fairs/{fair.slug}/sponsorship/projects/{project.id}?q=' in before
    profiles.toggle_bookmark(sponsor, project, representative)
    profiles.set_bookmark_note(sponsor, project, "下周约见", representative)
    after = render_action(fair, project, sponsor, representative)
    assert "已收藏" in after and 'name="bookmarked" value="0"' in after and "下周约见" in after
    assert render_action(fair, project, None, representative).strip() == ""


def test_the_catalog_project_page_carries_the_button(fair, representative, project):
    client = client_of(representative)
    page = client.get(f"/fairs/{fair.slug}/sponsorship/projects/{project.id}")
    assert page.status_code == 200
    assert bookmark_url(fair, project) in page.get_data(as_text=True)
    client.post(bookmark_url(fair, project), data={"bookmarked": "1"})
    assert "已收藏" in client.get(f"/fairs/{fair.slug}/sponsorship/projects/{project.id}").get_data(as_text=True)
