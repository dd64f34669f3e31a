"""Booth signs: Chinese text extractable with poppler, the CJK font embedded, the QR code read back by a
real decoder (zxing-cpp) from the page rendered at print-preview resolution, titles wrapped to fit."""
import logging
from pathlib import Path

import pytest
from reportlab.pdfbase import pdfmetrics

from fair.booths.signage import QR_CAPTION, UNASSIGNED, Sign, render_signs
from fair.documents import pdf
from tests.pdfs import flat, pdf_fonts, pdf_pages, qr_texts

URL = "http://localhost/fairs/js-2026/projects/17"
SIGN = Sign("A-01", "助老服务展区", "一号馆", "第十届江苏省志愿服务项目展示交流会", category="助老",
            title="“银龄守护”社区独居老人上门探访与助餐志愿服务项目", organisation="南京市鼓楼区阳光志愿服务中心",
            url=URL, colour="#f28e2b")


@pytest.fixture
def fresh_font_search():
    """Font discovery runs again in the test and again after it."""
    pdf._load_font.cache_clear()
    yield
    pdf._load_font.cache_clear()


def test_a_sign_shows_its_booth_and_project_in_extractable_chinese():
    [page] = pdf_pages(render_signs([SIGN], title="展位标识"))
    for text in (SIGN.code, SIGN.fair_name, SIGN.zone, SIGN.hall, SIGN.organisation, "服务领域：助老", QR_CAPTION):
        assert text in page
    assert SIGN.title in flat(page)


def test_the_cjk_font_is_embedded_when_a_truetype_one_is_installed():
    if not pdf.cjk_font().embedded:
        pytest.skip("no TrueType CJK font on this machine (CI installs fonts-wqy-microhei)")
    fonts = pdf_fonts(render_signs([SIGN], title="展位标识"))
    assert fonts and all(font["embedded"] for font in fonts), fonts


def test_the_qr_code_decodes_to_the_project_page():
    assert qr_texts(render_signs([SIGN], title="展位标识")) == [URL]


def test_a_booth_without_a_project_says_so_and_has_no_qr_code():
    sign = Sign("B-07", "环保展区", "二号馆", "展示交流会")
    content = render_signs([sign], title="展位标识")
    [page] = pdf_pages(content)
    assert UNASSIGNED in page and "B-07" in page and "环保展区" in page
    assert QR_CAPTION not in page
    assert qr_texts(content) == []


def test_all_booths_make_one_page_each_in_the_order_given():
    signs = [Sign(f"A-{n:02d}", "助老服务展区", "一号馆", "展示交流会", category="助老", title=f"项目{n}",
                  organisation="服务队", url=f"{URL}{n}") for n in range(1, 4)]
    content = render_signs(signs + [Sign("A-04", "助老服务展区", "一号馆", "展示交流会")], title="展位标识")
    pages = pdf_pages(content)
    assert [page.split()[1] for page in pages] == ["A-01", "A-02", "A-03", "A-04"]
    assert [qr_texts(content, page) for page in (1, 2, 3, 4)] == [[f"{URL}1"], [f"{URL}2"], [f"{URL}3"], []]


def test_no_signs_is_an_error_not_an_empty_file():
    with pytest.raises(ValueError):
        render_signs([], title="展位标识")


@pytest.mark.parametrize("title", [
    "社区" * 50,                                                     # 100 characters, the longest a title can be
    "Clean Rivers: a citizen-science monitoring programme for the Qinhuai river and its tributaries, year two",
    "“银龄守护”2026：覆盖全市13个区县、120个社区的独居老人上门探访与助餐志愿服务（升级版）项目",
])
def test_a_long_title_wraps_and_shrinks_without_losing_a_character(title):
    sign = Sign("A-01", "展区", "一号馆", "展示交流会", category="助老", title=title, organisation="服务队", url=URL)
    content = render_signs([sign], title="展位标识")
    assert flat(title) in flat(pdf_pages(content)[0])
    assert qr_texts(content) == [URL]                 # the text never runs into the code


def test_a_long_booth_code_and_fair_name_shrink_onto_one_line():
    sign = Sign("HALL2-A-1234", "展区", "一号馆", "第十届江苏省志愿服务项目展示交流会暨公益创投大赛颁奖典礼及志愿服务成果展")
    page = pdf_pages(render_signs([sign], title="展位标识"))[0]
    assert "HALL2-A-1234" in page.splitlines() and sign.fair_name in page.splitlines()


WIDTH = 200


@pytest.mark.parametrize("text", [
    "社区独居老人上门探访与助餐志愿服务项目，覆盖全市十三个区县。",
    "Clean Rivers: a citizen-science monitoring programme for the river",
    "助老Helping Elders项目2026年度，第二期。",
    "Pneumonoultramicroscopicsilicovolcanoconiosisprevention",
])
def test_wrap_keeps_words_whole_fits_the_width_and_loses_nothing(text):
    font = pdf.cjk_font()
    lines = pdf.wrap(text, font, 14, WIDTH)
    assert len(lines) > 1
    assert flat("".join(lines)) == flat(text)
    for line in lines:
        assert line[0] not in "，。、：）" and line == line.strip()
        assert pdfmetrics.stringWidth(line.rstrip("，。、；：！？）"), font.name, 14) <= WIDTH
    for word in text.split():
        if word.isascii() and pdfmetrics.stringWidth(word, font.name, 14) <= WIDTH:
            assert any(word in line.split() for line in lines)


def test_fit_shrinks_then_ends_in_an_ellipsis():
    font = pdf.cjk_font()
    size, lines = pdf.fit("社区" * 10, font, 200, [20, 10], max_lines=1)
    assert (size, lines) == (10, ["社区" * 10])
    size, lines = pdf.fit("社区" * 100, font, 200, [20, 10], max_lines=2)
    assert size == 10 and len(lines) == 2 and lines[-1].endswith("…")


def test_the_configured_font_comes_first(monkeypatch, fresh_font_search):
    path = next((p for p in pdf.KNOWN_FONTS if Path(p).is_file()), None)
    if path is None:
        pytest.skip("no TrueType CJK font on this machine (CI installs fonts-wqy-microhei)")
    monkeypatch.setattr(pdf, "KNOWN_FONTS", ())
    monkeypatch.setenv(pdf.FONT_SETTING, f"{path}#0")
    font = pdf.cjk_font()
    assert font.embedded and font.path == path


def test_an_unusable_setting_is_logged_and_skipped(monkeypatch, caplog, fresh_font_search):
    monkeypatch.setenv(pdf.FONT_SETTING, "/nonexistent/font.ttf")
    with caplog.at_level(logging.WARNING, logger=pdf.log.name):
        font = pdf.cjk_font()
    assert "/nonexistent/font.ttf" in caplog.text
    assert font.embedded == any(Path(p).is_file() for p in pdf.KNOWN_FONTS)


def test_without_a_truetype_font_text_is_still_extractable_and_the_warning_comes_once(
        monkeypatch, caplog, fresh_font_search):
    monkeypatch.setattr(pdf, "KNOWN_FONTS", ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",))
    monkeypatch.delenv(pdf.FONT_SETTING, raising=False)
    with caplog.at_level(logging.WARNING, logger=pdf.log.name):
        first = render_signs([SIGN], title="展位标识")
        render_signs([SIGN], title="展位标识")
    assert pdf.cjk_font() == pdf.CJKFont(pdf.FALLBACK_FONT, False)
    assert sum("No TrueType CJK font" in record.message for record in caplog.records) == 1
    page = pdf_pages(first)[0]
    assert SIGN.organisation in page and QR_CAPTION in page


def test_a_font_setting_names_a_face_of_a_collection():
    assert pdf.split_setting("/fonts/wqy-microhei.ttc#1") == ("/fonts/wqy-microhei.ttc", 1)
    assert pdf.split_setting("C:\\Windows\\Fonts\\msyh.ttc") == ("C:\\Windows\\Fonts\\msyh.ttc", 0)
