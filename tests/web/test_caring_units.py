"""Caring units (爱心单位): chosen among the fair's sponsors with a citation, removed with a reason, their
certificates as PDF (Chinese text extracted with poppler, the QR code read back by zxing-cpp) and the public
verification page the QR code leads to."""
import pytest
import sqlalchemy as sa

from fair.audit.models import AuditEvent
from fair.auth.models import OrganisationKind, Role
from fair.documents import pdf
from fair.documents import certificates as certificate_page
from fair.documents.codes import CODE_ALPHABET
from fair.extensions import db
from fair.refusal import Refused
from sponsorship import caring_units as units
from sponsorship.caring_units import CaringCertificate, render_caring_certificates
from sponsorship.models import CaringUnit
from tests.factories import make_fair, make_member, make_organisation
from tests.pdfs import flat, pdf_fonts, pdf_pages, qr_texts
from tests.sponsor_factories import make_agreement, make_project, make_sponsor

CITATION = "贵单位长期热心公益，在本届展示交流会中资助助老、助残项目十余个。"


def url(fair, path: str = "") -> str:
    return f"/fairs/{fair.slug}/sponsorship/caring-units{path}"


def unit_rows() -> list[CaringUnit]:
    return db.session.scalars(sa.select(CaringUnit)).all()


def designated(fair, organizer, name: str = "南京紫金爱心科技有限公司", citation: str = CITATION) -> CaringUnit:
    sponsor = make_sponsor(fair, organisation=make_organisation(name=name, kind=OrganisationKind.enterprise))
    return units.designate_caring_unit(fair, sponsor.organisation, citation, organizer)


# --- services ------------------------------------------------------------------------------------------

def test_a_sponsor_is_designated_with_an_unguessable_code_and_audited(fair, organizer):
    unit = designated(fair, organizer, citation="  贵单位   热心公益。 ")
    other = designated(fair, organizer, name="江苏仁爱慈善基金会")
    assert unit.citation == "贵单位 热心公益。"
    # ≥ 128 bits: 32 symbols of 57; no hyphen at the end for text tools to join with the next line
    assert len(unit.certificate_code) == 32 and set(unit.certificate_code) <= set(CODE_ALPHABET)
    assert len(CODE_ALPHABET) == 57 and unit.certificate_code != other.certificate_code
    [event, _] = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "sponsorship.caring_unit.designated").order_by(AuditEvent.id)).all()
    assert event.after == {"organisation_id": unit.organisation_id, "citation": "贵单位 热心公益。"}
    assert event.actor_id == organizer.id and event.fair_id == fair.id


def test_only_the_fairs_sponsors_once_each_with_a_citation(fair, organizer):
    unit = designated(fair, organizer)
    elsewhere = make_sponsor(make_fair(organizer))
    cases = [(make_organisation(), CITATION, "not_a_sponsor"), (None, CITATION, "not_a_sponsor"),
             (elsewhere.organisation, CITATION, "not_a_sponsor"), (unit.organisation, CITATION, "already_designated"),
             (make_sponsor(fair).organisation, "   ", "citation_required"),
             (make_sponsor(fair).organisation, "爱" * 301, "too_long")]
    for organisation, citation, code in cases:
        with pytest.raises(Refused) as refused:
            units.designate_caring_unit(fair, organisation, citation, organizer)
        assert refused.value.code == code
    assert len(unit_rows()) == 1


def test_only_organizers_designate_and_remove(fair, organizer):
    sponsor = make_sponsor(fair)
    representative = make_member(fair, Role.sponsor, organisation=sponsor.organisation)
    with pytest.raises(Refused) as refused:
        units.designate_caring_unit(fair, sponsor.organisation, CITATION, representative)
    assert refused.value.code == "not_allowed"
    unit = units.designate_caring_unit(fair, sponsor.organisation, CITATION, organizer)
    with pytest.raises(Refused):
        units.remove_caring_unit(unit, "误选", representative)
    assert len(unit_rows()) == 1


def test_removal_needs_a_reason_and_is_audited(fair, organizer):
    unit = designated(fair, organizer)
    code = unit.certificate_code
    with pytest.raises(Refused) as refused:
        units.remove_caring_unit(unit, " ", organizer)
    assert refused.value.code == "reason_required" and len(unit_rows()) == 1
    units.remove_caring_unit(unit, "单位名称有误，重新列入", organizer)
    assert unit_rows() == []
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "sponsorship.caring_unit.removed"))
    assert event.before["certificate_code"] == code and event.after == {"reason": "单位名称有误，重新列入"}


# --- the certificate, as data → PDF ---------------------------------------------------------------------

CERTIFICATE = CaringCertificate("第十届江苏省志愿服务项目展示交流会", "南京紫金爱心科技有限公司", CITATION, "2027年5月22日",
                                "q3Zk9v1X0aYbLmNoPqRsTuVwXyZ01234",
                                "http://localhost/fairs/f/sponsorship/caring-units/q3Zk9v1X0aYbLmNoPqRsTuVwXyZ01234")


def test_a_certificate_says_who_why_and_what_in_extractable_chinese_with_its_qr_code():
    content = render_caring_certificates([CERTIFICATE], title="爱心单位证书")
    [page] = pdf_pages(content)
    for text in (certificate_page.HEADING, units.TITLE, CERTIFICATE.organisation, CITATION, CERTIFICATE.fair_name,
                 CERTIFICATE.date, CERTIFICATE.code, certificate_page.QR_CAPTION):
        assert flat(text) in flat(page)
    assert qr_texts(content) == [CERTIFICATE.url]


def test_a_long_citation_is_cut_with_an_ellipsis_and_the_title_stays():
    long = CaringCertificate(**{**CERTIFICATE.__dict__, "citation": "热心支持志愿服务事业" * 40})
    [page] = pdf_pages(render_caring_certificates([long], title="爱心单位证书"))
    assert "…" in page and units.TITLE in page and CERTIFICATE.date in page


def test_the_cjk_font_is_embedded_when_a_truetype_one_is_installed():
    if not pdf.cjk_font().embedded:
        pytest.skip("no TrueType CJK font on this machine (CI installs fonts-wqy-microhei)")
    fonts = pdf_fonts(render_caring_certificates([CERTIFICATE], title="爱心单位证书"))
    assert fonts and all(font["embedded"] for font in fonts), fonts


def test_no_certificates_is_an_error_not_an_empty_pdf():
    with pytest.raises(ValueError):
        render_caring_certificates([], title="爱心单位证书")


# --- pages ---------------------------------------------------------------------------------------------

def test_the_organizer_designates_on_the_page(fair, client_as):
    big = make_sponsor(fair, organisation=make_organisation(name="江苏仁爱慈善基金会", kind=OrganisationKind.foundation))
    make_agreement(big, make_project(fair), amount_fen=50_000_000)
    make_sponsor(fair, organisation=make_organisation(name="南京紫金爱心科技有限公司", kind=OrganisationKind.enterprise))
    client = client_as(Role.organizer)
    page = client.get(url(fair)).get_data(as_text=True)
    assert "江苏仁爱慈善基金会（已签约 ¥500,000）" in page and units.DEFAULT_CITATION in page
    assert page.index("江苏仁爱慈善基金会") < page.index("南京紫金爱心科技有限公司")      # the biggest sponsors first

    response = client.post(url(fair), data={"organisation": big.organisation_id, "citation": CITATION})
    assert response.status_code == 302
    [unit] = unit_rows()
    assert (unit.organisation_id, unit.citation) == (big.organisation_id, CITATION)
    page = client.get(url(fair)).get_data(as_text=True)
    assert CITATION in page and "¥500,000" in page and "（已签约 ¥500,000）" not in page   # no longer offered


@pytest.mark.parametrize("choice, citation, message", [
    ("none", CITATION, "请选择本届的一个支持方单位"),
    ("stranger", CITATION, "请选择本届的一个支持方单位"),
    ("sponsor", "", "此项为必填项"),
    ("sponsor", "爱" * 301, "不能超过 300 个字"),
])
def test_bad_designations_are_shown_next_to_the_field_and_write_nothing(fair, client_as, choice, citation, message):
    organisation_id = {"none": 0, "stranger": make_organisation().id,
                       "sponsor": make_sponsor(fair).organisation_id}[choice]
    response = client_as(Role.organizer).post(url(fair), data={"organisation": organisation_id, "citation": citation})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and message in page and "invalid-feedback" in page
    assert unit_rows() == []


def test_removing_on_the_page_needs_a_reason_then_the_certificate_stops_verifying(fair, organizer, client_as, client):
    unit = designated(fair, organizer)
    prefix, code = f"unit-{unit.id}-", unit.certificate_code
    organizer_client = client_as(Role.organizer)
    response = organizer_client.post(url(fair, f"/{unit.id}/remove"), data={prefix + "reason": ""})
    assert response.status_code == 400 and "此项为必填项" in response.get_data(as_text=True) and len(unit_rows()) == 1
    response = organizer_client.post(url(fair, f"/{unit.id}/remove"), data={prefix + "reason": "误选"})
    assert response.status_code == 302 and unit_rows() == []
    assert client.get(url(fair, f"/{code}")).status_code == 404


def test_a_certificate_pdf_per_unit_and_one_for_all(fair, organizer, client_as):
    first = designated(fair, organizer)
    second = designated(fair, organizer, name="江苏仁爱慈善基金会", citation="感谢贵会对青少年项目的持续支持。")
    client = client_as(Role.organizer)

    response = client.get(url(fair, f"/{first.id}/certificate.pdf"))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    [page] = pdf_pages(response.data)
    for text in ("荣誉证书", "爱心单位", "南京紫金爱心科技有限公司", CITATION, fair.name, first.certificate_code):
        assert flat(text) in flat(page)
    assert qr_texts(response.data) == [f"http://localhost{url(fair, '/' + first.certificate_code)}"]

    pages = pdf_pages(client.get(url(fair, "/certificates.pdf")).data)
    assert len(pages) == 2 and "南京紫金" in flat(pages[0]) and "江苏仁爱慈善基金会" in flat(pages[1])
    assert second.certificate_code in flat(pages[1])


def test_no_units_no_pdf_and_another_fairs_unit_is_a_404(fair, organizer, client_as):
    client = client_as(Role.organizer)
    assert client.get(url(fair, "/certificates.pdf")).status_code == 404
    elsewhere = make_fair(organizer)
    unit = designated(elsewhere, organizer)
    assert client.get(url(fair, f"/{unit.id}/certificate.pdf")).status_code == 404
    assert client.post(url(fair, f"/{unit.id}/remove"), data={f"unit-{unit.id}-reason": "x"}).status_code == 404
    assert client.get(url(fair, f"/{unit.certificate_code}")).status_code == 404      # its fair's page only
    assert len(unit_rows()) == 1


def test_the_verification_page_confirms_a_genuine_certificate_to_anyone(fair, organizer, client):
    unit = designated(fair, organizer)
    response = client.get(url(fair, f"/{unit.certificate_code}"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "真实有效" in page
    for text in (fair.name, "南京紫金爱心科技有限公司", CITATION, unit.certificate_code):
        assert text in page


def test_an_unknown_code_is_a_404_that_says_it_is_not_genuine(fair, organizer, client):
    unit = designated(fair, organizer)
    code = unit.certificate_code
    for wrong in (code[:-1] + ("A" if code[-1] != "A" else "B"), "1", str(unit.id), "x" * 80):
        response = client.get(url(fair, f"/{wrong}"))
        assert response.status_code == 404 and "不是一份真实有效的证书" in response.get_data(as_text=True)


def test_caring_units_are_for_organizers(fair, organizer, client_as):
    unit = designated(fair, organizer)
    for role in (Role.sponsor, Role.exhibitor):
        client = client_as(role)
        assert client.get(url(fair)).status_code == 403
        assert client.get(url(fair, f"/{unit.id}/certificate.pdf")).status_code == 403
        assert client.post(url(fair), data={"organisation": unit.organisation_id, "citation": "x"}).status_code == 403
