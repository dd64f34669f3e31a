"""Translation catalogs: `fair i18n update` refreshes them from the sources, `fair i18n check` (and
tests/unit/test_catalogs.py) says which messages a locale still lacks.

The Chinese msgids are the source text, so zh_Hans is the identity; en needs a human translation."""
from copy import deepcopy
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import click
from babel.messages.catalog import PYTHON_FORMAT, Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = Path(__file__).resolve().parent / "translations"
DOMAIN = "messages"
SOURCE_LOCALE = "zh_Hans"
LOCALES = (SOURCE_LOCALE, "en")
# Flask-Babel's lazy variants are not among Babel's default keywords.
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "lazy_ngettext": (1, 2),
            "lazy_pgettext": ((1, "c"), 2)}
# Jinja2, not Babel, ships the template extractor; name it so no entry point has to be found.
EXTRACTORS = {"jinja2": "jinja2.ext:babel_extract"}


def extract(root: Path = ROOT) -> Catalog:
    """The messages the sources ask for right now, found where babel.cfg says; nothing is written."""
    with open(root / "babel.cfg", encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    for pattern, method in method_map:
        if method == "jinja2":
            # Babel's default would skip a broken template silently and so drop its translations.
            options_map.setdefault(pattern, {}).setdefault("silent", "false")
    method_map = [(pattern, EXTRACTORS.get(method, method)) for pattern, method in method_map]
    template = Catalog(project="Fair", domain=DOMAIN, charset="utf-8", fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
            root, method_map, options_map, keywords=KEYWORDS, comment_tags=("TRANSLATORS:",),
            strip_comment_tags=True, directory_filter=_wanted_directory):
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return template


def _wanted_directory(path: str) -> bool:
    """Babel's default also skips `_`-prefixed folders such as templates/_macros."""
    name = Path(path).name
    return not name.startswith(".") and name not in {"__pycache__", "node_modules"}


def update(root: Path = ROOT, translations: Path = TRANSLATIONS) -> Catalog:
    """Extract, merge into every locale's .po (dropping what the sources no longer use), make
    zh_Hans the identity, compile the .mo files; returns the extracted template."""
    template = extract(root)
    for locale in LOCALES:
        po_path = catalog_path(translations, locale, "po")
        catalog = _read_po(po_path, locale) if po_path.exists() else _new_catalog(locale, template)
        # update() adopts the template's Message objects; a copy keeps zh_Hans' identity out of en.
        catalog.update(deepcopy(template), update_creation_date=False)
        if locale == SOURCE_LOCALE:
            _fill_identity(catalog)
        po_path.parent.mkdir(parents=True, exist_ok=True)
        with open(po_path, "wb") as handle:
            # No line numbers: moving code should not churn the catalogs.
            write_po(handle, catalog, ignore_obsolete=True, include_lineno=False)
        with open(catalog_path(translations, locale, "mo"), "wb") as handle:
            write_mo(handle, catalog)
    return template


def catalog_path(translations: Path, locale: str, kind: str) -> Path:
    return translations / locale / "LC_MESSAGES" / f"{DOMAIN}.{kind}"


def _read_po(path: Path, locale: str) -> Catalog:
    with open(path, "rb") as handle:
        return read_po(handle, locale=locale, domain=DOMAIN)


def _new_catalog(locale: str, template: Catalog) -> Catalog:
    now = datetime.now(timezone.utc)
    return Catalog(locale=locale, domain=DOMAIN, project=template.project, charset="utf-8", fuzzy=False,
                   header_comment=f"# {locale} translations for Fair. Refresh with `fair i18n update`.",
                   creation_date=now, revision_date=now, language_team="Fair", last_translator="Fair")


def _fill_identity(catalog: Catalog) -> None:
    """Chinese is the source language: an untranslated or fuzzy zh_Hans message reads as its msgid."""
    for message in catalog:
        if not message.id or (_translated(message) and not message.fuzzy):
            continue
        if message.pluralizable:
            message.string = (message.id[-1],) * catalog.num_plurals
        else:
            message.string = message.id
        message.flags.discard("fuzzy")


@dataclass(frozen=True)
class Problem:
    """One message a locale cannot show correctly; `kind` is missing, untranslated, fuzzy,
    placeholders or mo."""
    locale: str
    kind: str
    msgid: str

    def __str__(self) -> str:
        return f"{self.locale} {self.kind}: {self.msgid}"


def problems(template: Catalog, translations: Path = TRANSLATIONS, locales=LOCALES) -> list[Problem]:
    """Every extracted message each locale's .po lacks, leaves empty or fuzzy, or formats with other
    placeholders, and every translation the compiled .mo disagrees on."""
    found = []
    for locale in locales:
        po_path, mo_path = catalog_path(translations, locale, "po"), catalog_path(translations, locale, "mo")
        catalog = _read_po(po_path, locale) if po_path.exists() else Catalog(locale=locale)
        for wanted in template:
            if not wanted.id:
                continue
            message = catalog.get(wanted.id, wanted.context)
            kind = _fault(message, catalog.num_plurals)
            if kind:
                found.append(Problem(locale, kind, _msgid(wanted)))
        compiled = _read_mo(mo_path) if mo_path.exists() else Catalog(locale=locale)
        source, served = _translations(catalog), _translations(compiled)
        found += [Problem(locale, "mo", msgid) for msgid in sorted(source.keys() | served.keys())
                  if source.get(msgid) != served.get(msgid)]
    return found


def _fault(message: Message | None, num_plurals: int) -> str | None:
    if message is None:
        return "missing"
    if not _translated(message) or (message.pluralizable and len(message.string) != num_plurals):
        return "untranslated"
    if message.fuzzy:
        return "fuzzy"
    if message.python_format and not _same_placeholders(message):
        return "placeholders"
    return None


def _translated(message: Message) -> bool:
    return all(_as_tuple(message.string))


def _same_placeholders(message: Message) -> bool:
    """Singular: exactly the msgid's placeholders; plural forms: none the source does not pass."""
    if not message.pluralizable:
        return _placeholders(message.string) == _placeholders(message.id)
    allowed = {found for source in message.id for found in _placeholders(source)}
    return all(set(_placeholders(form)) <= allowed for form in message.string)


def _placeholders(text: str) -> list[tuple[str, str]]:
    """Named placeholders once each, positional ones in order: what `%` will take from the arguments."""
    found = [(name, kind) for name, _flags, kind in PYTHON_FORMAT.findall(text) if kind != "%"]
    return sorted({each for each in found if each[0]}) + [each for each in found if not each[0]]


def _msgid(message: Message) -> str:
    text = message.id[0] if message.pluralizable else message.id
    return f"{message.context}|{text}" if message.context else text


def _read_mo(path: Path) -> Catalog:
    with open(path, "rb") as handle:
        return read_mo(handle)


def _translations(catalog: Catalog) -> dict:
    """What gettext will serve: translated, non-fuzzy messages (write_mo leaves the rest out)."""
    return {_msgid(message): _as_tuple(message.string)
            for message in catalog if message.id and _translated(message) and not message.fuzzy}


def _as_tuple(value) -> tuple:
    return tuple(value) if isinstance(value, (list, tuple)) else (value,)


@click.group("i18n")
def i18n_command() -> None:
    """Translation catalogs in fair/translations."""


@i18n_command.command("update")
def update_command() -> None:
    """Extract the UI strings, merge them into every locale's catalog and compile the .mo files."""
    template = update()
    click.echo(f"{len(template)} messages; catalogs in {TRANSLATIONS}")
    _report(problems(template))


@i18n_command.command("check")
def check_command() -> None:
    """List every message a locale has missing, untranslated or fuzzy; fail if there is any."""
    found = problems(extract())
    _report(found)
    if found:
        raise SystemExit(1)


def _report(found: list[Problem]) -> None:
    for problem in found:
        click.echo(str(problem))
    click.echo(f"Problems: {len(found)}" if found else "All catalogs complete.")
