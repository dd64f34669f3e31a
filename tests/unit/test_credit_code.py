"""The unified social credit code's check character (GB 32100-2015)."""
import pytest

from fair.auth import credit_code

# Codes of registered organisations, as published on their business licences, and the standard's example.
REAL = [
    "91350100M000100Y43",       # the example in GB 32100-2015
    "91440300708461136T",
    "91330100799655058B",
    "91110000802100433B",
    "91320000134767063W",
]


@pytest.mark.parametrize("code", REAL)
def test_real_codes_are_valid(code):
    assert credit_code.problem(code) is None
    assert credit_code.is_valid(code)


@pytest.mark.parametrize("first17, check", [
    ("91350100M000100Y4", "3"),
    ("5332000050000123Q", "N"),      # 民政 (social organisation): computed by hand below
    ("11000000000000040", "0"),      # a sum that is a multiple of 31 gives 0, not 31
])
def test_the_check_character(first17, check):
    assert credit_code.check_character(first17) == check


def test_the_hand_computed_value():
    values = [credit_code.ALPHABET.index(c) for c in "5332000050000123Q"]
    total = sum(v * w for v, w in zip(values, (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)))
    assert total % 31 == 9 and credit_code.ALPHABET[31 - 9] == "N"


def test_weights_are_powers_of_three_mod_31():
    assert credit_code.WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


@pytest.mark.parametrize("code, problem", [
    ("91350100M000100Y44", "check"),       # last character changed
    ("91350100M000100Y4A", "check"),
    ("91440300708461136X", "check"),
    ("91440300708461163T", "check"),       # two digits swapped
    ("91350100M000100Y4", "length"),
    ("91350100M000100Y433", "length"),
    ("", "length"),
    ("91350100M000100I43", "charset"),     # I, O, S, V, Z are not in the alphabet
    ("91350100M00010OY43", "charset"),
    ("9135010０M000100Y43", "charset"),     # a full-width digit
])
def test_wrong_codes_say_what_is_wrong(code, problem):
    assert credit_code.problem(code) == problem
    assert not credit_code.is_valid(code)


def test_typing_is_forgiven_before_checking():
    assert credit_code.normalise(" 91350100m000100y43 ") == "91350100M000100Y43"
    assert credit_code.normalise("9135 0100 M000 100Y 43") == "91350100M000100Y43"
    assert credit_code.is_valid("91350100m000100y43")
