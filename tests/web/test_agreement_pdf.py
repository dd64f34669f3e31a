"""The agreement PDF as its readers get it: the exact text in Chinese (extractable, the font embedded), both
signatures with their times in the fair's timezone and their hashes, a QR code that zxing reads as the
public verification page; the parties and organizers download it, others are refused."""
from datetime import date
from zoneinfo import ZoneInfo

from sponsorship import agreement_text, agreements
from sponsorship.agreement_pdf import AgreementDocument, SignatureLine, render_agreement
from tests.conftest import log_in
from tests.factories import make_fair
from tests.pdfs import flat, pdf_fonts, pdf_pages, qr_texts
from tests.sponsor_factories import make_sponsor
from tests.web.test_agreements import base, draft, make_representative, parties, signed  # noqa: F401  (a fixture)


def pdf_of(app, user, agreement):
    return log_in(app.test_client(), user).get(f"{base(agreement.fair)}/{agreement.id}/agreement.pdf")


def test_a_signed_agreement_s_pdf_carries_the_text_both_signatures_and_a_qr_code_to_its_verification(app, parties):
    agreement = signed(parties, in_kind_value_fen=800_000, support_kinds=("funds", "volunteers"),
                       in_kind_description="每月派出十名员工志愿者")
    response = pdf_of(app, parties.exhibitor_rep, agreement)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert f"agreement-{agreement.number}-v1.pdf" in response.headers["Content-Disposition"]
    text = flat("".join(pdf_pages(response.data)))
    digest = agreements.text_sha256(agreement)
    for expected in ("志愿服务项目支持协议", agreement.number, parties.sponsor.organisation.name,
                     parties.project.organisation.name, "银龄食堂社区助餐", "人民币120,000.00元", "人民币8,000.00元",
                     "资金、志愿者", "每月派出十名员工志愿者", "2027年6月1日", "资金分两期拨付", "王支持", "李项目",
                     "已签约", digest, agreement.verification_code):
        assert flat(expected) in text, expected
    tz = ZoneInfo(parties.fair.timezone)
    for signature in agreement.signatures:
        local = signature.signed_at.astimezone(tz)
        assert flat(f"{local.year}年{local.month}月{local.day}日 {local:%H:%M:%S}（Asia/Shanghai）") in text
    assert text.count(digest) == 3                    # the text's own, and each signature's
    assert all(font["embedded"] for font in pdf_fonts(response.data))
    assert qr_texts(response.data, page=len(pdf_pages(response.data))) == [
        f"http://localhost{base(parties.fair)}/verify/{agreement.verification_code}"]


def test_a_draft_s_pdf_says_it_is_not_in_force_and_which_party_has_not_signed(app, parties):
    agreement = draft(parties)
    text = flat("".join(pdf_pages(pdf_of(app, parties.sponsor_rep, agreement).data)))
    assert "本协议尚未签署，不具效力" in text and text.count("尚未签署") == 3


def test_the_parties_and_organizers_download_it_others_are_refused(app, parties, organizer):
    agreement = signed(parties)
    for user in (parties.sponsor_rep, parties.exhibitor_rep, organizer):
        assert pdf_of(app, user, agreement).status_code == 200
    assert pdf_of(app, make_representative(make_sponsor(parties.fair)), agreement).status_code == 403
    other = make_fair(organizer)
    response = log_in(app.test_client(), organizer).get(f"{base(other)}/{agreement.id}/agreement.pdf")
    assert response.status_code == 404


def test_a_long_agreement_flows_onto_more_pages_and_keeps_every_line():
    terms = "\n".join(f"第{n}条 双方约定的第{n}项义务，按季度报告执行情况并接受组织方的监督检查。" for n in range(1, 61))
    facts = agreement_text.AgreementFacts("第1届志愿服务项目展示交流会", "XY-0001", 2, "爱心企业", "志愿服务队", "助老项目",
                                          100, ("funds",), 0, "", date(2027, 6, 1), date(2028, 5, 31), terms,
                                          amends_revision=1)
    text = agreement_text.render(facts)
    document = AgreementDocument(text, agreement_text.sha256(text), "已签约", "",
                                 (SignatureLine("甲方（支持方）", "爱心企业", "王", "2027年5月21日 10:00:00", "a" * 64),
                                  SignatureLine("乙方（参展单位）", "志愿服务队")), "code", "http://localhost/verify/code")
    content = render_agreement(document, title="XY-0001")
    pages = pdf_pages(content)
    assert len(pages) >= 3
    joined = flat("".join(pages))
    assert all(flat(f"第{n}条") in joined for n in range(1, 61)) and "四、修订说明" in joined
    assert qr_texts(content, page=len(pages)) == ["http://localhost/verify/code"]
