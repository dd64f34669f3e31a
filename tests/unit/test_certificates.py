"""Certificates: Chinese text extractable with poppler, the CJK font embedded, the QR code read back by a
real decoder (zxing-cpp), one page per certificate, long titles wrapped."""
import pytest

from fair.documents import pdf
from fair.documents.certificates import HEADING, QR_CAPTION
from judging.certificates import Certificate, render_certificates
from tests.pdfs import flat, pdf_fonts, pdf_pages, qr_texts

CODE = "q3Zk9v1X0aYbLmNoPqRsTuVwXyZ01234"
CERTIFICATE = Certificate("第十届江苏省志愿服务项目展示交流会", "“银龄守护”社区独居老人上门探访与助餐志愿服务项目",
                          "南京市鼓楼区阳光志愿服务中心", "特别荣誉奖", "2027年5月22日", CODE,
                          f"http://localhost/certificates/{CODE}")


def test_a_certificate_names_fair_project_organisation_tier_and_date_in_extractable_chinese():
    [page] = pdf_pages(render_certificates([CERTIFICATE], title="获奖证书"))
    for text in (HEADING, CERTIFICATE.organisation, CERTIFICATE.tier, CERTIFICATE.date, QR_CAPTION, CODE):
        assert text in flat(page)
    assert CERTIFICATE.title in flat(page) and CERTIFICATE.fair_name in flat(page)


def test_the_qr_code_leads_to_the_verification_page():
    assert qr_texts(render_certificates([CERTIFICATE], title="获奖证书")) == [CERTIFICATE.url]


def test_the_cjk_font_is_embedded_when_a_truetype_one_is_installed():
    if not pdf.cjk_font().embedded:
        pytest.skip("no TrueType CJK font on this machine (CI installs fonts-wqy-microhei)")
    fonts = pdf_fonts(render_certificates([CERTIFICATE], title="获奖证书"))
    assert fonts and all(font["embedded"] for font in fonts), fonts


def test_one_page_per_certificate_in_the_order_given():
    second = Certificate(**{**CERTIFICATE.__dict__, "title": "四点半课堂", "tier": "铜奖"})
    pages = pdf_pages(render_certificates([CERTIFICATE, second], title="获奖证书"))
    assert len(pages) == 2 and "特别荣誉奖" in pages[0] and "铜奖" in pages[1]


def test_a_very_long_title_is_cut_with_an_ellipsis_not_off_the_page():
    long = Certificate(**{**CERTIFICATE.__dict__, "title": "社区志愿服务" * 30})
    [page] = pdf_pages(render_certificates([long], title="获奖证书"))
    assert "…" in page and CERTIFICATE.tier in page


def test_no_certificates_is_an_error_not_an_empty_pdf():
    with pytest.raises(ValueError):
        render_certificates([], title="获奖证书")
