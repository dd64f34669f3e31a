"""Signage downloads: one booth's sign and every booth's, their text and QR codes, who may have them, and
a number of queries that does not grow with the booths."""
from urllib.parse import quote

import pytest

from fair.auth.models import Role
from fair.booths import placing, services
from fair.booths.signage import UNASSIGNED
from fair.jobs import views as jobs_views
from tests.conftest import queries_for
from tests.factories import make_fair, make_plan, make_shortlisted
from tests.pdfs import flat, pdf_pages, qr_texts


@pytest.fixture
def placed(fair, organizer):
    """Nine booths (A-, B-, C-01 … 03) in one hall; two projects on A-01 and A-03."""
    hall, zones, booths = make_plan(fair, rows=1, per_row=3)
    projects = make_shortlisted(fair, 2, category=fair.categories[0])
    for booth, project in zip((booths[0], booths[2]), projects):
        placing.assign(booth, project, actor=organizer, version=None)
    return hall, zones, booths, projects


def project_url(fair, project) -> str:
    return f"http://localhost/fairs/{fair.slug}/projects/{project.id}"


def test_an_organizer_downloads_a_booths_sign(client_as, fair, placed):
    hall, zones, _booths, projects = placed
    response = client_as(Role.organizer).get(f"/fairs/{fair.slug}/booths/A-01/sign.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == f"attachment; filename=sign-{fair.slug}-A-01.pdf"
    [page] = pdf_pages(response.data)
    for text in ("A-01", fair.name, hall.name, zones[0].name, projects[0].organisation.name,
                 f"服务领域：{projects[0].category.name}"):
        assert text in page
    assert flat(projects[0].title) in flat(page)
    assert qr_texts(response.data) == [project_url(fair, projects[0])]


def test_a_free_booths_sign_says_it_is_to_be_assigned(client_as, fair, placed):
    response = client_as(Role.organizer).get(f"/fairs/{fair.slug}/booths/A-02/sign.pdf")
    [page] = pdf_pages(response.data)
    assert "A-02" in page and UNASSIGNED in page and qr_texts(response.data) == []


def test_the_signage_has_every_booth_in_code_order(client_as, fair, placed):
    _hall, _zones, booths, projects = placed
    response = client_as(Role.organizer).get(f"/fairs/{fair.slug}/signage.pdf")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == f"attachment; filename=signage-{fair.slug}.pdf"
    pages = pdf_pages(response.data)
    assert [page.split()[1] for page in pages] == sorted(booth.code for booth in booths)
    assert qr_texts(response.data, 3) == [project_url(fair, projects[1])]
    assert sum(UNASSIGNED in page for page in pages) == len(booths) - 2


def test_one_halls_signage(client_as, fair, organizer, placed):
    hall, _zones, _booths, _projects = placed
    second = services.create_hall(fair, services.HallDetails("二号馆", 30, 30), actor=organizer)
    zone = services.create_zone(fair, services.ZoneDetails("文化展区", second.id, [fair.categories[1].id]),
                                actor=organizer)
    services.create_booth(fair, services.BoothDetails("D-01", second.id, zone.id, 1, 1), actor=organizer)
    client = client_as(Role.organizer)
    response = client.get(f"/fairs/{fair.slug}/signage.pdf?hall={second.id}")
    assert [page.split()[1] for page in pdf_pages(response.data)] == ["D-01"]
    assert f"filename*=UTF-8''signage-{fair.slug}-{quote('二号馆')}.pdf" in response.headers["Content-Disposition"]
    assert len(pdf_pages(client.get(f"/fairs/{fair.slug}/signage.pdf?hall={hall.id}").data)) == 9


@pytest.mark.parametrize("path", ["booths/Z-99/sign.pdf", "signage.pdf?hall=999999", "signage.pdf?hall=abc"])
def test_an_unknown_booth_or_hall_is_not_found(client_as, fair, placed, path):
    assert client_as(Role.organizer).get(f"/fairs/{fair.slug}/{path}").status_code == 404


def test_a_fair_without_booths_has_no_signage_and_says_why(client_as, fair):
    response = client_as(Role.organizer).get(f"/fairs/{fair.slug}/signage.pdf")
    assert response.status_code == 404 and "还没有展位" in response.get_data(as_text=True)


def test_another_fairs_hall_is_not_found(client_as, fair, organizer, placed):
    other = make_fair(organizer)
    other_hall = services.create_hall(other, services.HallDetails("一号馆", 30, 30), actor=organizer)
    assert client_as(Role.organizer).get(f"/fairs/{fair.slug}/signage.pdf?hall={other_hall.id}").status_code == 404


@pytest.mark.parametrize("path", ["booths/A-01/sign.pdf", "signage.pdf"])
def test_only_organizers_get_signage(client, client_as, fair, placed, path):
    url = f"/fairs/{fair.slug}/{path}"
    assert client_as(Role.reviewer).get(url).status_code == 403
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_signage_reads_a_fixed_number_of_rows_however_many_booths(client_as, fair, organizer, placed,
                                                                     monkeypatch):
    monkeypatch.setattr(jobs_views, "SMALL_BATCH", 1000)     # both at once, not the bigger one through a job
    bigger = make_fair(organizer)
    _hall, _zones, booths = make_plan(bigger, rows=2, per_row=15)
    for booth, project in zip(booths, make_shortlisted(bigger, 12, category=bigger.categories[0])):
        placing.assign(booth, project, actor=organizer, version=None)
    client = client_as(Role.organizer)
    small = queries_for(client, f"/fairs/{fair.slug}/signage.pdf")
    assert queries_for(client, f"/fairs/{bigger.slug}/signage.pdf") == small


def test_the_plan_and_the_booth_page_link_to_the_signage(client_as, fair, placed):
    client = client_as(Role.organizer)
    plan = client.get(f"/fairs/{fair.slug}/booths").get_data(as_text=True)
    assert f'href="/fairs/{fair.slug}/signage.pdf"' in plan
    booth = client.get(f"/fairs/{fair.slug}/booths/A-01/placement").get_data(as_text=True)
    assert f'href="/fairs/{fair.slug}/booths/A-01/sign.pdf"' in booth
