"""Certificates from the database: the PDF per award and for all, who may download them, and the public
verification page (genuine, or a 404 that says it is not)."""
import sqlalchemy as sa

from fair.auth.models import Role
from fair.extensions import db
from judging import awards, services
from judging.models import Award
from tests.pdfs import flat, pdf_pages, qr_texts
from tests.web.test_awards import crossed


def frozen(fair, organizer):
    _criteria, _tiers, projects, _judges = crossed(fair, {"银龄食堂": [9, 9], "四点半课堂": [7, 7],
                                                          "青春护河": [5, 5], "暑期夏令营": [2, 2]})
    services.lock_judging(fair, organizer)
    awards.freeze(fair, actor=organizer)
    return projects


def award_of(application) -> Award:
    return db.session.scalar(sa.select(Award).where(Award.application_id == application.id))


def test_a_certificate_pdf_in_chinese_with_a_qr_code_to_its_verification_page(fair, organizer, client_as):
    projects = frozen(fair, organizer)
    award = award_of(projects["银龄食堂"])
    response = client_as(Role.organizer).get(f"/fairs/{fair.slug}/judging/awards/{award.id}/certificate.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    [page] = pdf_pages(response.data)
    for text in ("荣誉证书", "银龄食堂", "金奖", fair.name, projects["银龄食堂"].organisation.name, award.certificate_code):
        assert text in flat(page)
    assert qr_texts(response.data) == [f"http://localhost/certificates/{award.certificate_code}"]


def test_all_certificates_in_one_pdf_best_tier_first(fair, organizer, client_as):
    frozen(fair, organizer)
    response = client_as(Role.organizer).get(f"/fairs/{fair.slug}/judging/certificates.pdf")
    pages = pdf_pages(response.data)
    assert len(pages) == 3 and "金奖" in pages[0] and "银奖" in pages[2]


def test_no_certificates_before_the_freeze(fair, client_as):
    crossed(fair, {"银龄食堂": [9, 9]})
    assert client_as(Role.organizer).get(f"/fairs/{fair.slug}/judging/certificates.pdf").status_code == 404


def test_the_verification_page_confirms_a_genuine_certificate(fair, organizer, client):
    projects = frozen(fair, organizer)
    award = award_of(projects["四点半课堂"])
    response = client.get(f"/certificates/{award.certificate_code}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "真实有效" in page
    for text in (fair.name, "四点半课堂", projects["四点半课堂"].organisation.name, "银奖"):
        assert text in page


def test_an_unknown_code_is_a_404_that_says_it_is_not_genuine(fair, organizer, client):
    award = award_of(frozen(fair, organizer)["四点半课堂"])
    for code in (award.certificate_code[:-1] + ("A" if award.certificate_code[-1] != "A" else "B"), "1", str(award.id)):
        response = client.get(f"/certificates/{code}")
        assert response.status_code == 404 and "不是一份真实有效的证书" in response.get_data(as_text=True)
