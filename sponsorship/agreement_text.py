"""The canonical text of one agreement version: what both parties read, sign and print, and what each
signature's SHA-256 is taken of. Plain data in, plain text out (no Flask, no database).

The text must come out byte for byte the same on every machine, in every language of the interface and
after any upgrade that does not change what was agreed, or a signed agreement would stop matching its
hash. So it is always Chinese (the language of the contract, as on the certificates), it uses no
locale-dependent formatting, the support kinds come in one fixed order and the terms are normalised
(line endings, trailing spaces) the same way the service stores them."""
import hashlib
from dataclasses import dataclass
from datetime import date

TITLE = "志愿服务项目支持协议"
# Fixed Chinese names of fair.applications.models.Support, in the enum's order: part of the signed text.
KIND_NAMES = {"funds": "资金", "goods": "物资", "volunteers": "志愿者", "venue": "场地", "professional": "专业服务"}
SPONSOR_PARTY = "甲方（支持方）"
EXHIBITOR_PARTY = "乙方（参展单位）"


@dataclass(frozen=True)
class AgreementFacts:
    """Everything the text says; names as the parties are called when it is rendered."""

    fair_name: str
    number: str
    revision: int
    sponsor_name: str
    exhibitor_name: str
    project_title: str
    amount_fen: int
    support_kinds: tuple[str, ...]
    in_kind_value_fen: int
    in_kind_description: str
    period_start: date
    period_end: date
    terms: str
    amends_revision: int | None = None          # the version this one amends, for an amendment


def normalise(text: str) -> str:
    """Line endings as \\n, no trailing spaces, no leading or trailing blank lines: a browser sends \\r\\n,
    and an invisible difference must not change the hash."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip("\n")


def ordered_kinds(kinds) -> tuple[str, ...]:
    """The known kinds among `kinds`, once each, in the fixed order."""
    wanted = set(kinds)
    return tuple(kind for kind in KIND_NAMES if kind in wanted)


def yuan_text(amount_fen: int) -> str:
    """'人民币 120,000.00 元': always two decimals, whatever the interface's language."""
    whole, fen = divmod(amount_fen, 100)
    return f"人民币 {whole:,}.{fen:02d} 元"


def date_text(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def render(facts: AgreementFacts) -> str:
    """The agreement as numbered sections, ending without a newline."""
    kinds = "、".join(KIND_NAMES[kind] for kind in ordered_kinds(facts.support_kinds)) or "（未填写）"
    lines = [
        TITLE,
        f"协议编号：{facts.number}（第 {facts.revision} 版）",
        f"展会：{facts.fair_name}",
        "",
        f"{SPONSOR_PARTY}：{facts.sponsor_name}",
        f"{EXHIBITOR_PARTY}：{facts.exhibitor_name}",
        f"支持项目：{facts.project_title}",
        "",
        "一、支持内容",
        f"资金支持：{yuan_text(facts.amount_fen)}",
        f"支持方式：{kinds}",
        f"实物及服务折合价值：{yuan_text(facts.in_kind_value_fen)}",
        f"实物及服务说明：{normalise(facts.in_kind_description) or '无'}",
        f"支持总值：{yuan_text(facts.amount_fen + facts.in_kind_value_fen)}",
        "",
        "二、支持期限",
        f"自 {date_text(facts.period_start)} 至 {date_text(facts.period_end)}",
        "",
        "三、协议条款",
        normalise(facts.terms),
    ]
    if facts.amends_revision is not None:
        lines += ["", "四、修订说明",
                  f"本版本修订协议 {facts.number} 第 {facts.amends_revision} 版，经双方签署后取代该版本；"
                  f"该版本项下已记录的付款计入本版本。"]
    return "\n".join(lines)


def sha256(text: str) -> str:
    """The hex SHA-256 of the text's UTF-8 bytes: what each signature holds."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
