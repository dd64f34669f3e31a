from zoneinfo import available_timezones

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, DateTimeLocalField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from fair.fairs.models import Phase

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"
_COMMON_ZONES = ["Asia/Shanghai", "Asia/Hong_Kong", "Asia/Macau", "Asia/Taipei", "Asia/Urumqi", "UTC"]


def timezone_choices() -> list[SelectChoice]:
    rest = sorted(zone for zone in available_timezones() if "/" in zone and zone not in _COMMON_ZONES)
    return [SelectChoice(zone) for zone in _COMMON_ZONES + rest]


def categories_text(pairs) -> str:
    return "\n".join(f"{name} | {name_en}" if name_en else name for name, name_en in pairs)


def parse_categories(text: str) -> list[tuple[str, str]]:
    """One category a line: `助老 | Elderly care` (the English name is optional)."""
    pairs = []
    for line in text.splitlines():
        name, _sep, name_en = line.partition("|")
        if name.strip():
            pairs.append((name.strip(), name_en.strip()))
    return pairs


class FairForm(FlaskForm):
    name = StringField(_l("展会名称"), validators=[DataRequired(), Length(max=120)])
    slug = StringField(_l("网址标识"), validators=[DataRequired(), Length(max=40)],
                       description=_l("用于网址，例如 js-2026：小写字母、数字和连字符。"))
    city = StringField(_l("举办城市"), validators=[DataRequired(), Length(max=60)])
    venue = StringField(_l("举办场馆"), validators=[DataRequired(), Length(max=120)])
    starts_on = DateField(_l("开幕日期"), validators=[DataRequired(message=_l("请填写有效的日期。"))])
    ends_on = DateField(_l("闭幕日期"), validators=[DataRequired(message=_l("请填写有效的日期。"))])
    applications_open_at = DateTimeLocalField(
        _l("申报开始时间"), format=LOCAL_FORMAT, validators=[DataRequired(message=_l("请填写有效的时间。"))])
    applications_close_at = DateTimeLocalField(
        _l("申报截止时间"), format=LOCAL_FORMAT, validators=[DataRequired(message=_l("请填写有效的时间。"))])
    timezone = SelectField(_l("时区"), default="Asia/Shanghai")
    categories = TextAreaField(_l("服务领域"),
                               description=_l("每行一个，可在竖线后填写英文名称，例如：助老 | Elderly care"),
                               validators=[Length(max=4000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.timezone.choices = timezone_choices()

    def validate_categories(self, field):
        if not parse_categories(field.data or ""):
            raise ValidationError(_l("至少需要一个服务领域。"))


class PhaseForm(FlaskForm):
    phase = SelectField(choices=[SelectChoice(phase.value) for phase in Phase])
