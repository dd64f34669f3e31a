"""Judging's part of the summary report (fair/console/report.py): the judges and their scorecards, the award
tiers with their counts and the list of awards, from the published results only; before publication the
report says they are not out yet. Imported by judging/views.py, so the console's report has it whenever the
app has judging."""
from flask_babel import gettext as _

from fair.console.charts import number
from fair.console.report import label, report_part
from fair.console.report_pdf import Block, Figure, Figures, Note, PieChart, Table
from fair.fairs.models import Fair
from judging.awards import awards_of
from judging.stats import judging_figures


@report_part("exhibition", order=20)
def awards_part(fair: Fair, locale: str) -> list[Block]:
    """The console's judging figures (five queries at most) and, once published, the awards with their
    projects and organisations (one more)."""
    found = judging_figures(fair)
    if not found["judges"] and not found["awards_by_tier"]:
        return [Note(_("还没有开始专家评审。"))]
    by_tier = found["awards_by_tier"]
    total = sum(by_tier.values())
    figures = Figures((Figure(label("judges"), number(found["judges"])),
                       Figure(label("scores"), number(found["scores"])),
                       Figure(label("awards_total"), number(total))), title=_("专家评审"))
    if not by_tier:
        return [figures, Note(_("评审结果尚未发布。"))]
    if not total:
        return [figures, Note(_("本届没有评出奖项。"))]
    english = found["award_names_en"] if locale.startswith("en") else {}

    def tier_name(name: str) -> str:
        return english.get(name) or name

    awards = awards_of(fair)
    return [figures,
            PieChart(_("各奖项获奖项目数"), tuple((tier_name(name), count) for name, count in by_tier.items())),
            Table(_("获奖名单"), (_("奖项"), _("项目"), _("申报单位")),
                  tuple((tier_name(award.tier.name), award.application.title, award.application.organisation.name)
                        for award in awards),
                  widths=(0.16, 0.46, 0.38))]
