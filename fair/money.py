"""Money as people read it: integer fen in, ¥ with thousands separators out. No Flask, so the pure PDF
modules use it as the pages do."""


def yuan(amount_fen: int | None) -> str:
    """¥ with thousands separators; whole yuan drop the fen."""
    if amount_fen is None:
        return ""
    sign = "-" if amount_fen < 0 else ""
    whole, fen = divmod(abs(amount_fen), 100)
    return f"{sign}¥{whole:,}" + (f".{fen:02d}" if fen else "")
