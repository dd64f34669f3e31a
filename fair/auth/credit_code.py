"""统一社会信用代码 (GB 32100-2015): catch a mistyped code at registration, before it becomes the
organisation's identity (conflicts of interest match on it). Plain functions, no Flask.

The 18th character is a check character over the first 17: each character's value in the code's
alphabet times the weight 3^i mod 31, summed; the check is (31 - sum mod 31) mod 31 in that alphabet."""

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"     # digits and capitals without I, O, S, V, Z
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
LENGTH = 18


def normalise(code: str) -> str:
    """As typed, without surrounding or inner blanks, in capitals."""
    return "".join(code.split()).upper()


def check_character(first17: str) -> str:
    """The 18th character for these 17 (already normalised and in the alphabet)."""
    total = sum(ALPHABET.index(char) * weight for char, weight in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def problem(code: str) -> str | None:
    """What is wrong with a normalised code: "length", "charset" or "check"; None when it is valid."""
    if len(code) != LENGTH:
        return "length"
    if any(char not in ALPHABET for char in code):
        return "charset"
    if check_character(code[:-1]) != code[-1]:
        return "check"
    return None


def is_valid(code: str) -> bool:
    return problem(normalise(code)) is None
