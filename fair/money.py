"""Money as people read it: integer fen in, ¥ with thousands separators out. No Flask, so the pure PDF
modules use it as the pages do; and yuan as people type them back into fen."""
import re
import unicodedata
from decimal import Decimal


def yuan(amount_fen: int | None) -> str:
    """¥ with thousands separators; whole yuan drop the fen."""
    if amount_fen is None:
        return ""
    sign = "-" if amount_fen < 0 else ""
    whole, fen = divmod(abs(amount_fen), 100)
    return f"{sign}¥{whole:,}" + (f".{fen:02d}" if fen else "")


class NotAnAmount(ValueError):
    """What was typed is not an amount of yuan: `reason` is "not_a_number" or "too_precise" (below a fen)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


_PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?", re.ASCII)
_DECORATION = re.compile(r"[\s,¥元]")


def parse_yuan(text) -> int | None:
    """Yuan as people type them ('120000', '1,200.5', '¥3000', '3 000 元', full-width digits and commas) in
    exact integer fen (Decimal, never float); None when nothing was typed; NotAnAmount otherwise. The sign
    and the range are the caller's to judge: each amount has its own limits and words."""
    cleaned = _DECORATION.sub("", unicodedata.normalize("NFKC", str(text or "")))   # NFKC: ￥ → ¥, １ → 1
    if not cleaned:
        return None
    if not _PLAIN_NUMBER.fullmatch(cleaned):
        raise NotAnAmount("not_a_number")       # the pattern leaves no NaN, Infinity or exponent to Decimal
    fen = Decimal(cleaned) * 100
    if fen != fen.to_integral_value():
        raise NotAnAmount("too_precise")
    return int(fen)


def yuan_text(amount_fen: int | None) -> str:
    """Fen as the yuan a person types: 12000000 → "120000", 1250 → "12.50"; None → ""."""
    if amount_fen is None:
        return ""
    sign = "-" if amount_fen < 0 else ""
    whole, fen = divmod(abs(amount_fen), 100)
    return f"{sign}{whole}.{fen:02d}" if fen else f"{sign}{whole}"
