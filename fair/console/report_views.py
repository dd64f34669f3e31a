"""The summary report's download, organizers only: the PDF in Chinese, or in English with `?lang=en`,
whatever language the pages are in (the report is printed and handed on). Its routes are on the console's
blueprint."""
import io

from flask import current_app, request, send_file

from fair.auth.models import Role
from fair.auth.permissions import fair_role_required
from fair.console.report import gather
from fair.console.report_pdf import render_report
from fair.console.views import bp
from fair.fairs.models import Fair

REPORT_LOCALES = {"zh": "zh_Hans", "en": "en"}


@bp.get("/console/report.pdf")
@fair_role_required(Role.organizer)
def report(fair: Fair):
    language = request.args.get("lang") if request.args.get("lang") in REPORT_LOCALES else "zh"
    content = render_report(gather(fair, REPORT_LOCALES[language]),
                            font_setting=current_app.config.get("FAIR_PDF_FONT"))
    suffix = "" if language == "zh" else f"-{language}"
    return send_file(io.BytesIO(content), mimetype="application/pdf", as_attachment=True,
                     download_name=f"report-{fair.slug}{suffix}.pdf", max_age=0)
