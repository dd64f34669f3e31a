"""Every UI string has a translation in every locale: a new `_()` without `fair i18n update` and an
English msgstr fails here, naming the msgids."""
import shutil

import pytest
from babel.messages.pofile import read_po, write_po

from fair import i18n

FIX = "Run `fair i18n update`, translate fair/translations/en/LC_MESSAGES/messages.po, run it again."


@pytest.fixture(scope="module")
def found() -> list[i18n.Problem]:
    return i18n.problems(i18n.extract())


def listing(problems: list[i18n.Problem]) -> str:
    return "\n".join(f"  {problem}" for problem in problems)


def test_templates_are_extracted():
    msgids = {message.id for message in i18n.extract()}
    assert {"我的展会", "登录", "审计日志"} <= msgids


@pytest.mark.parametrize("locale", i18n.LOCALES)
def test_every_msgid_is_translated(found, locale):
    bad = [p for p in found if p.locale == locale and p.kind in {"missing", "untranslated", "fuzzy"}]
    assert not bad, f"{locale} lacks translations. {FIX}\n{listing(bad)}"


@pytest.mark.parametrize("locale", i18n.LOCALES)
def test_placeholders_match_the_msgid(found, locale):
    bad = [p for p in found if p.locale == locale and p.kind == "placeholders"]
    assert not bad, f"{locale} msgstr placeholders differ from their msgid's:\n{listing(bad)}"


@pytest.mark.parametrize("locale", i18n.LOCALES)
def test_compiled_mo_matches_the_po(found, locale):
    bad = [p for p in found if p.locale == locale and p.kind == "mo"]
    assert not bad, f"{locale} messages.mo is stale; run `fair i18n update`:\n{listing(bad)}"


@pytest.fixture
def scratch(tmp_path):
    """A copy of babel.cfg and the catalogs, with sources holding one new string and three known ones."""
    shutil.copy(i18n.ROOT / "babel.cfg", tmp_path / "babel.cfg")
    (tmp_path / "fair").mkdir()
    (tmp_path / "fair" / "scratch.py").write_text("from flask_babel import lazy_gettext as _l\n"
                                                  "LABELS = [_l('登录'), _l('密码至少需要 %(n)d 个字符。'), _l('测试未翻译')]\n",
                                                  encoding="utf-8")
    (tmp_path / "templates" / "_macros").mkdir(parents=True)
    (tmp_path / "templates" / "_macros" / "scratch.html").write_text("{{ _('我的展会') }}\n", encoding="utf-8")
    shutil.copytree(i18n.TRANSLATIONS, tmp_path / "translations")
    return tmp_path


def test_a_new_string_fails_the_check(scratch):
    problems = i18n.problems(i18n.extract(scratch), scratch / "translations")

    assert [str(p) for p in problems] == ["zh_Hans missing: 测试未翻译", "en missing: 测试未翻译"]


def test_update_keeps_translations_fills_chinese_and_drops_the_rest(scratch):
    template = i18n.update(scratch, scratch / "translations")

    assert [str(p) for p in i18n.problems(template, scratch / "translations")] == ["en untranslated: 测试未翻译"]
    english = read_catalog(scratch, "en")
    assert {m.id: m.string for m in english if m.id} == {
        "登录": "Log in", "密码至少需要 %(n)d 个字符。": "The password must have at least %(n)d characters.", "我的展会": "My fairs", "测试未翻译": ""}
    assert english.num_plurals == 2
    chinese = read_catalog(scratch, "zh_Hans")
    assert chinese["测试未翻译"].string == "测试未翻译"
    assert chinese.num_plurals == 1


def test_a_changed_placeholder_and_a_stale_mo_fail_the_check(scratch):
    i18n.update(scratch, scratch / "translations")
    english = read_catalog(scratch, "en")
    english["密码至少需要 %(n)d 个字符。"].string = "At least %(count)d characters."
    with open(i18n.catalog_path(scratch / "translations", "en", "po"), "wb") as handle:
        write_po(handle, english)

    problems = i18n.problems(i18n.extract(scratch), scratch / "translations", locales=["en"])

    assert {str(p) for p in problems} == {
        "en untranslated: 测试未翻译", "en placeholders: 密码至少需要 %(n)d 个字符。", "en mo: 密码至少需要 %(n)d 个字符。"}


def read_catalog(root, locale):
    with open(i18n.catalog_path(root / "translations", locale, "po"), "rb") as handle:
        return read_po(handle, locale=locale)
