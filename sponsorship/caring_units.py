"""Caring units (爱心单位): organisations the organizer recognises for their support of the fair, chosen
among its sponsors, each with the citation its certificate prints; and the certificates themselves.

The certificate part is plain data in, PDF bytes out, like the award certificates: A4 landscape, Chinese
text in the embedded CJK font (searchable and copyable), and a QR code carrying the public verification
URL with the unit's random code, also printed for reading out on the phone. Its words are Chinese only:
the certificates are for a Chinese-speaking fair."""
from dataclasses import dataclass
from functools import partial
from typing import Iterable

import sqlalchemy as sa
from flask_babel import gettext as _
from reportlab.pdfgen.canvas import Canvas
from sqlalchemy.orm import joinedload

from fair.audit.log import audit, snapshot
from fair.auth.models import Organisation, User
from fair.documents import certificates as page
from fair.documents.codes import public_code
from fair.documents.pdf import CJKFont
from fair.extensions import db
from fair.fairs.models import Fair
from fair.refusal import Refused
from sponsorship.access import is_organizer
from sponsorship.models import Agreement, AgreementStatus, CaringUnit, SponsorProfile

CITATION_LENGTH = 300
REASON_LENGTH = 500
# What the designation form offers to start from; printed as written, so Chinese whatever the page's language.
DEFAULT_CITATION = "贵单位热心公益，在本届展示交流会中积极对接并支持志愿服务项目，为推动志愿服务事业发展作出了积极贡献。"
UNIT_FIELDS = ("organisation_id", "citation")


# --- services ----------------------------------------------------------------------------------------------

def caring_units_of(fair: Fair) -> list[CaringUnit]:
    """The fair's caring units with their organisations, in the order they were designated."""
    return db.session.scalars(sa.select(CaringUnit).where(CaringUnit.fair_id == fair.id)
                              .options(joinedload(CaringUnit.organisation))
                              .order_by(CaringUnit.created_at, CaringUnit.id)).all()


def signed_by_organisation(fair: Fair) -> dict[int, int]:
    """Each sponsoring organisation's signed money in the fair (fen), in one query."""
    rows = db.session.execute(
        sa.select(SponsorProfile.organisation_id, sa.func.coalesce(sa.func.sum(Agreement.amount_fen), 0))
        .join(Agreement, Agreement.sponsor_id == SponsorProfile.id)
        .where(SponsorProfile.fair_id == fair.id, Agreement.status == AgreementStatus.signed)
        .group_by(SponsorProfile.organisation_id))
    return {organisation_id: int(amount) for organisation_id, amount in rows}


def candidates(fair: Fair) -> list[Organisation]:
    """The fair's sponsoring organisations that are not caring units yet, by name."""
    designated = sa.select(CaringUnit.organisation_id).where(CaringUnit.fair_id == fair.id)
    return db.session.scalars(
        sa.select(Organisation).join(SponsorProfile, SponsorProfile.organisation_id == Organisation.id)
        .where(SponsorProfile.fair_id == fair.id, Organisation.id.not_in(designated))
        .order_by(Organisation.name, Organisation.id)).all()


def designate_caring_unit(fair: Fair, organisation: Organisation | None, citation: str,
                          actor: User | None) -> CaringUnit:
    """Recognise one of the fair's sponsoring organisations as a caring unit (audited); `actor` None is the
    system (the demo builder)."""
    _require_organizer(actor, fair)
    citation = _citation(citation)
    if organisation is None or not db.session.scalar(sa.select(SponsorProfile.id).where(
            SponsorProfile.fair_id == fair.id, SponsorProfile.organisation_id == organisation.id)):
        raise Refused(_("请选择本届的一个支持方单位。"), "not_a_sponsor", "organisation")
    unit = CaringUnit(fair_id=fair.id, organisation_id=organisation.id, citation=citation,
                      certificate_code=public_code(), designated_by_id=getattr(actor, "id", None))
    unit.fair, unit.organisation = fair, organisation
    db.session.add(unit)
    try:
        audit(actor, "sponsorship.caring_unit.designated", unit, fair=fair, after=snapshot(unit, UNIT_FIELDS))
        db.session.commit()
    except sa.exc.IntegrityError:           # the unique (fair, organisation): designated already, perhaps just now
        db.session.rollback()
        raise Refused(_("“%(name)s”已是本届的爱心单位。", name=organisation.name), "already_designated",
                      "organisation") from None
    return unit


def remove_caring_unit(unit: CaringUnit, reason: str, actor: User | None) -> None:
    """Take a designation back, saying why (audited with what it was); its certificate stops verifying."""
    fair = unit.fair
    _require_organizer(actor, fair)
    reason = (reason or "").strip()
    if not reason:
        raise Refused(_("请说明取消的理由。"), "reason_required", "reason")
    if len(reason) > REASON_LENGTH:
        raise Refused(_("不能超过 %(n)d 个字。", n=REASON_LENGTH), "too_long", "reason")
    audit(actor, "sponsorship.caring_unit.removed", unit, fair=fair,
          before=snapshot(unit, UNIT_FIELDS) | {"certificate_code": unit.certificate_code}, after={"reason": reason})
    db.session.delete(unit)
    db.session.commit()


def _require_organizer(actor: User | None, fair: Fair) -> None:
    if actor is not None and not is_organizer(actor, fair):
        raise Refused(_("只有组织方可以管理爱心单位。"), "not_allowed")


def _citation(text: str) -> str:
    text = " ".join((text or "").split())
    if not text:
        raise Refused(_("请填写证书上的表彰词。"), "citation_required", "citation")
    if len(text) > CITATION_LENGTH:
        raise Refused(_("不能超过 %(n)d 个字。", n=CITATION_LENGTH), "too_long", "citation")
    return text


# --- certificates ------------------------------------------------------------------------------------------

TEXT_WIDTH = page.PAGE_WIDTH - 2 * 110
TITLE = "爱心单位"


@dataclass(frozen=True)
class CaringCertificate:
    """What one caring unit's certificate says; `date` is already written out (e.g. 2027年5月22日)."""

    fair_name: str
    organisation: str
    citation: str
    date: str
    code: str
    url: str                           # the public verification page for `code`


def render_caring_certificates(certificates: Iterable[CaringCertificate], *, title: str,
                               font_setting: str | None = None) -> bytes:
    """One PDF with a page per certificate, in the order given."""
    return page.render(certificates, draw_caring_certificate, title=title, font_setting=font_setting)


def draw_caring_certificate(canvas: Canvas, certificate: CaringCertificate, font: CJKFont) -> None:
    """One certificate on the current page, worded as Chinese honour certificates are: to the organisation,
    the citation, the title conferred; the QR code with the code bottom left, the issuer and date bottom right."""
    block = partial(page.block, canvas, font, width=TEXT_WIDTH, leading=1.35)
    y = block(page.HEADING, page.PAGE_HEIGHT - 70, [44], bold=True, colour=page.RED)
    y = block(f"{certificate.organisation}：", y - 24, [24, 20, 18, 16], max_lines=2, bold=True)
    y = block(certificate.citation, y - 8, [17, 15, 13, 12], max_lines=4, colour=page.GREY)
    y = block("特授予贵单位", y - 10, [16])
    y = block(f"“{TITLE}”", y - 4, [48], bold=True, colour=page.RED)
    block("荣誉称号，特发此证。", y - 6, [16])
    page.foot(canvas, font, url=certificate.url, code=certificate.code, fair_name=certificate.fair_name,
              date=certificate.date)
