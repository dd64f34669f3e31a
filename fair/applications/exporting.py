"""Applications as spreadsheet rows (the export of a filtered list) and the import template.

The words in a file are the Chinese ones whatever the page's language, so an export imports again."""
from decimal import Decimal

from flask_babel import force_locale

from fair.applications.models import (BOOTH_SIZE_LABELS, DECISION_LABELS, STATUS_LABELS, SUPPORT_LABELS,
                                      Application)
from fair.applications.spreadsheet import COLUMNS, Sheet, csv_bytes, xlsx_bytes
from fair.auth.models import ORGANISATION_KIND_LABELS
from fair.times import to_local

EXPORT_HEADER = ["编号"] + [column.header for column in COLUMNS] + ["初审结果"]
EXPORT_WIDTHS = [8] + [column.width for column in COLUMNS] + [10]
MONEY_FORMAT = "#,##0.00"
YES, NO = "是", "否"
FUNDING_INDEX = 1 + [column.key for column in COLUMNS].index("funding_need")
TEMPLATE_EXAMPLE = {
    "organisation_name": "南京市鼓楼区夕阳红助老志愿服务队", "credit_code": "51320106MJ5123456Q",
    "organisation_kind": "志愿服务组织", "province": "江苏省", "city": "南京市", "district": "鼓楼区",
    "contact_name": "刘晓燕", "contact_phone": "025-83001234", "title": "“银龄食堂”社区助餐志愿服务",
    "category": "助老", "summary": "为独居与高龄老人提供每日午餐配送、陪餐与健康随访，志愿者结对上门。",
    "service_targets": "社区独居、高龄老人", "beneficiaries": 1200, "volunteers": 85, "years_running": 3,
    "past_outcomes": "累计送餐四万余份，获评市级优秀志愿服务项目。", "funding_need": 120000,
    "support_wanted": "资金、志愿者", "booth_size": "标准展位", "needs_power": YES, "needs_step_free": NO,
    "status": "已提交", "submitted_at": "2027-03-01 09:30",
}
# The template's second sheet: what each column takes (file content, Chinese like the headings).
NOTES = {
    "organisation_name": "必填。有信用代码时按代码匹配已登记的单位，否则按名称匹配；都找不到则新建单位。",
    "credit_code": "选填。18 位统一社会信用代码。",
    "organisation_kind": "必填。可选：{kinds}。",
    "province": "必填。项目服务所在省份；新建单位时也作为单位所在地。",
    "city": "必填。", "district": "选填。", "contact_name": "选填，新建单位时记录。", "contact_phone": "选填，新建单位时记录。",
    "title": "必填，不超过 100 字。同一单位的项目名称不能重复。", "category": "必填。可选：{categories}。",
    "summary": "必填，不超过 2000 字。", "service_targets": "选填，不超过 1000 字。",
    "beneficiaries": "整数，留空为 0。", "volunteers": "整数，留空为 0。", "years_running": "整数，留空为 0。",
    "past_outcomes": "选填，不超过 2000 字。", "funding_need": "以元为单位，最多两位小数，留空为 0。",
    "support_wanted": "可多选，用“、”或逗号分隔。可选：{supports}。",
    "booth_size": "可选：{booths}，留空为标准展位。", "needs_power": "是 / 否，留空为否。",
    "needs_step_free": "是 / 否，留空为否。", "status": "可选：草稿、已提交，留空为草稿。",
    "submitted_at": "选填，仅对已提交的项目有效，按展会时区填写，如 2027-03-01 09:30；留空为导入时间。",
}


def _chinese(labels: dict) -> dict:
    with force_locale("zh_Hans"):
        return {key: str(label) for key, label in labels.items()}


def export_rows(applications: list[Application], timezone: str) -> list[list]:
    """One row per application under EXPORT_HEADER; money as yuan, times in the fair's timezone."""
    kinds, supports = _chinese(ORGANISATION_KIND_LABELS), _chinese(SUPPORT_LABELS)
    booths, statuses, decisions = _chinese(BOOTH_SIZE_LABELS), _chinese(STATUS_LABELS), _chinese(DECISION_LABELS)
    support_words = {kind.value: word for kind, word in supports.items()}
    rows = []
    for application in applications:
        organisation = application.organisation
        submitted = to_local(application.submitted_at, timezone).strftime("%Y-%m-%d %H:%M") \
            if application.submitted_at else ""
        rows.append([
            application.id, organisation.name, organisation.credit_code or "", kinds[organisation.kind],
            application.province, application.city, application.district,
            organisation.contact_name, organisation.contact_phone,
            application.title, application.category.name, application.summary, application.service_targets,
            application.beneficiaries, application.volunteers, application.years_running,
            application.past_outcomes, Decimal(application.funding_need_fen) / 100,
            "、".join(support_words.get(value, value) for value in application.support_wanted),
            booths[application.booth_size], YES if application.needs_power else NO,
            YES if application.needs_step_free else NO, statuses[application.status], submitted,
            decisions[application.decision] if application.decision else "",
        ])
    return rows


def export_xlsx(applications: list[Application], timezone: str) -> bytes:
    return xlsx_bytes(Sheet("项目申报", EXPORT_HEADER, export_rows(applications, timezone), EXPORT_WIDTHS,
                            formats={FUNDING_INDEX: MONEY_FORMAT}))


def export_csv(applications: list[Application], timezone: str) -> bytes:
    return csv_bytes(EXPORT_HEADER, export_rows(applications, timezone))


def template_xlsx(category_names: list[str]) -> bytes:
    """The import template: the headings, one example row, drop-downs, and a sheet saying what each column takes."""
    kinds, supports = _chinese(ORGANISATION_KIND_LABELS), _chinese(SUPPORT_LABELS)
    booths, statuses = _chinese(BOOTH_SIZE_LABELS), ["草稿", "已提交"]
    words = {"kinds": "、".join(kinds.values()), "categories": "、".join(category_names),
             "supports": "、".join(supports.values()), "booths": "、".join(booths.values())}
    keys = [column.key for column in COLUMNS]
    example = {**TEMPLATE_EXAMPLE, "category": "助老" if "助老" in category_names else category_names[0]}
    drop_downs = {"organisation_kind": list(kinds.values()), "category": category_names,
                  "booth_size": list(booths.values()), "needs_power": [YES, NO], "needs_step_free": [YES, NO],
                  "status": statuses}
    projects = Sheet("项目申报", [column.header for column in COLUMNS],
                     [[example[key] for key in keys]], [column.width for column in COLUMNS],
                     choices={keys.index(key): values for key, values in drop_downs.items()})
    notes = Sheet("填写说明", ["列名", "说明"],
                  [[column.header, NOTES[column.key].format(**words)] for column in COLUMNS]
                  + [["", "第 2 行是示例，导入前请替换或删除。列的顺序可以调整，列名须与模板一致。"]],
                  [18, 90])
    return xlsx_bytes(projects, notes)
