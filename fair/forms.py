"""Shared form helpers."""
from urllib.parse import urlsplit

from flask import flash
from flask_babel import gettext as _, lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from fair import regions
from fair.refusal import Refused


def required() -> DataRequired:
    """The services' own wording for an empty required field, so form and service read alike."""
    return DataRequired(message=_l("此项为必填项。"))


class Obeys:
    """A service's own check (a function that raises Refused) run as a field validator, so its message
    shows together with the form's other errors instead of after they are fixed."""

    def __init__(self, check):
        self.check = check

    def __call__(self, form, field):
        if field.data is None or field.data == "":
            return
        try:
            self.check(field.data)
        except Refused as refusal:
            raise ValidationError(refusal.message) from None


def at_most(n: int) -> Length:
    """A length limit in the services' wording (its maxlength attribute stops typing beyond it)."""
    return Length(max=n, message=_l("不能超过 %(n)d 个字。", n=n))


def province_field() -> SelectField:
    """One of fair.regions' provinces; declare it in each form where the page shows it (errors list in order)."""
    return SelectField(_l("省份"), validators=[required()],
                       choices=[SelectChoice("", _l("请选择"))] + [SelectChoice(name) for name in regions.PROVINCES])


def city_field() -> SelectField:
    """A city grouped under its province; static/js/region.js narrows the list to the chosen province
    (without script every province's cities show, grouped). Pair it with `validate_city = city_in_province`."""
    return SelectField(_l("城市"), validators=[required()], choices=[SelectChoice("", _l("请选择"))] + [
        SelectChoice(city, optgroup=province) for province, cities in regions.PROVINCES.items() for city in cities])


def district_field() -> StringField:
    """Typed, not picked: districts are many and change, and no quota counts them."""
    return StringField(_l("区县"), validators=[at_most(30)])


def city_in_province(form, field) -> None:
    """A form's `validate_city`: the city must be one of the chosen province's."""
    if form.province.data and field.data and not regions.is_region(form.province.data, field.data):
        # gettext, not lazy_gettext: a lazy string is rendered as markup, and the province is the user's text
        raise ValidationError(_("请选择%(province)s的城市。", province=form.province.data))


def show_refusal(form: FlaskForm, refusal: Refused) -> None:
    """Put a service's refusal next to its field, or above the form when it names none."""
    field = getattr(form, refusal.field, None) if refusal.field else None
    if field is not None:
        field.errors = [*field.errors, refusal.message]
    else:
        flash(refusal.message, "danger")


def safe_next(target: str | None, default: str) -> str:
    """Only a path on this site: an open redirect would let a phishing link borrow our log-in page."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def whole_number(text: str | None, digits: int = 18) -> int | None:
    """A non-negative whole number typed as ASCII digits (at most `digits` of them, so it fits a BIGINT),
    else None: str.isdigit alone lets through '²' and 5,000-digit strings, which int() refuses."""
    text = (text or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= digits else None
