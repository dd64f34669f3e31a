"""Sponsorship's part of the summary report (fair/console/report.py): the meetings held and missed, the
agreements signed and the money they bring (from the ledger's totals, so the report always equals the
ledger), caring units, and the signed amounts by service area and by kind of sponsor.
Imported by sponsorship/views.py, so the console's report has it whenever the app has sponsorship."""
import sqlalchemy as sa
from flask_babel import gettext as _

from fair.console.charts import number
from fair.console.report import report_part
from fair.console.report_pdf import BarChart, Block, Figure, Figures, Note, PieChart, Series
from fair.extensions import db
from fair.fairs.models import Fair
from fair.templating import yuan
from sponsorship.ledger import totals
from sponsorship.models import Meeting, MeetingStatus, SponsorProfile


def meetings_by_status(fair: Fair) -> dict[MeetingStatus, int]:
    """The fair's meetings per status, in one query."""
    return dict(db.session.execute(sa.select(Meeting.status, sa.func.count(Meeting.id))
                                   .where(Meeting.fair_id == fair.id).group_by(Meeting.status)).all())


@report_part("resources", order=10)
def resources_part(fair: Fair, locale: str) -> list[Block]:
    """The ledger's totals (nine queries at most), the meetings per status and the sponsors (one each)."""
    meetings = meetings_by_status(fair)
    sponsors = db.session.scalar(sa.select(sa.func.count(SponsorProfile.id)).where(SponsorProfile.fair_id == fair.id))
    found = totals(fair)
    if not (sponsors or meetings or found.signed_count or found.intended_count or found.caring_units):
        return [Note(_("还没有支持方参与对接。"))]
    items = [Figure(_("参与支持方"), number(sponsors)),
             Figure(_("已举行洽谈"), number(meetings.get(MeetingStatus.held, 0))),
             Figure(_("洽谈未到场"), number(meetings.get(MeetingStatus.no_show, 0))),
             Figure(_("签约协议"), number(found.signed_count)),
             Figure(_("获支持项目"), number(found.projects_funded)),
             Figure(_("签约资金"), yuan(found.signed_fen)),
             Figure(_("已到账"), yuan(found.paid_fen)),
             Figure(_("爱心单位"), number(found.caring_units))]
    if found.in_kind_fen:
        items.insert(6, Figure(_("物资等折价"), yuan(found.in_kind_fen)))
    blocks: list[Block] = [Figures(tuple(items))]
    if not found.signed_count:
        return blocks + [Note(_("还没有签约的协议。"))]
    blocks.append(BarChart(_("各服务领域的签约资金"), tuple(bucket.label for bucket in found.by_category),
                           (Series(_("签约资金"), tuple(bucket.amount_fen for bucket in found.by_category)),),
                           money=True))
    if any(bucket.amount_fen for bucket in found.by_sponsor_kind):
        blocks.append(PieChart(_("各类支持方的签约资金"),
                               tuple((bucket.label, bucket.amount_fen) for bucket in found.by_sponsor_kind),
                               money=True))
    return blocks
