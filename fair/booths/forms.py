"""The floor plan editor's forms. Each carries a prefix, so the page can show all of them at once with
distinct field ids; their field names are the services' (BoothDetails, ZoneDetails, HallDetails), so a
PlanRefused problem lands next to the field it names."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (BooleanField, HiddenField, IntegerField, SelectChoice, SelectField, SelectMultipleField,
                     StringField, TextAreaField)
from wtforms.fields import ColorField
from wtforms.validators import InputRequired, NumberRange, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from fair.applications.models import BOOTH_SIZE_LABELS, BoothSize
from fair.forms import at_most, required
from fair.booths.services import COLOUR_PATTERN, MAX_HALL_METRES

WHOLE_METRES = _l("请填写整数米数。")


def metres(label, *, least: int = 0, default=None) -> IntegerField:
    """A whole number of metres; the plan's own limits (inside the hall) are the services' to check."""
    return IntegerField(label, default=default, validators=[
        InputRequired(message=WHOLE_METRES),
        NumberRange(min=least, max=MAX_HALL_METRES, message=_l("须在 %(min)s–%(max)s 米之间。"))])


class HallForm(FlaskForm):
    name = StringField(_l("展馆名称"), validators=[required(), at_most(40)])
    name_en = StringField(_l("英文名称"), validators=[at_most(60)])
    width = metres(_l("宽（米，左右）"), least=1, default=60)
    depth = metres(_l("深（米，上下）"), least=1, default=40)


class ZoneForm(FlaskForm):
    name = StringField(_l("展区名称"), validators=[required(), at_most(40)])
    name_en = StringField(_l("英文名称"), validators=[at_most(60)])
    hall_id = SelectField(_l("所在展馆"), coerce=int, validators=[required()])
    colour = ColorField(_l("颜色"), default="#4e79a7",
                        validators=[Regexp(COLOUR_PATTERN, message=_l("颜色须为 #rrggbb 形式。"))])
    category_ids = SelectMultipleField(_l("接受的服务领域"), coerce=int, widget=ListWidget(prefix_label=False),
                                       option_widget=CheckboxInput(),
                                       description=_l("可多选；入围项目按服务领域分配到展区。"))


class BoothForm(FlaskForm):
    """Add or edit one booth; `version` is the one the page showed, so a stale edit is refused."""

    code = StringField(_l("展位编号"), validators=[required(), at_most(12)], description=_l("如 A-01"))
    zone_id = SelectField(_l("展区"), coerce=int, validators=[required()])
    x = metres(_l("横向位置 x（米）"))
    y = metres(_l("纵向位置 y（米）"))
    width = metres(_l("宽（米）"), least=1, default=3)
    depth = metres(_l("深（米）"), least=1, default=3)
    size = SelectField(_l("规格"), default=BoothSize.standard.value,
                       choices=[SelectChoice(size.value, label) for size, label in BOOTH_SIZE_LABELS.items()])
    corner = BooleanField(_l("转角展位"))
    power = BooleanField(_l("有电源"))
    step_free = BooleanField(_l("无障碍通行"), default=True)
    version = HiddenField()


class DeleteBoothForm(FlaskForm):
    version = HiddenField()


class DeleteForm(FlaskForm):
    """Deleting an empty hall or zone: the service refuses one that still holds booths."""


class CopyRowForm(FlaskForm):
    booth_ids = SelectMultipleField(_l("要复制的展位"), coerce=int, widget=ListWidget(prefix_label=False),
                                    option_widget=CheckboxInput())
    dx = IntegerField(_l("向右平移（米）"), default=0, validators=[
        InputRequired(message=WHOLE_METRES), NumberRange(min=-MAX_HALL_METRES, max=MAX_HALL_METRES)])
    dy = IntegerField(_l("向下平移（米）"), default=6, validators=[
        InputRequired(message=WHOLE_METRES), NumberRange(min=-MAX_HALL_METRES, max=MAX_HALL_METRES)])
    prefix = StringField(_l("新编号前缀"), validators=[
        required(), Regexp(r"^[A-Za-z]{1,4}$", message=_l("前缀须为 1–4 个字母，如 B。"))],
        description=_l("编号开头的字母换成此前缀：A-01 复制为 B-01。"))


class SetupNotesForm(FlaskForm):
    notes = TextAreaField(_l("给参展单位的布展须知"), validators=[at_most(4000)],
                          description=_l("参展单位在展位页面看到：进场时间、卸货通道、展位配置等。"))


class ImportForm(FlaskForm):
    file = FileField(_l("平面图文件"), validators=[
        FileRequired(_l("请选择要导入的文件。")),
        FileAllowed(["csv", "json"], _l("请上传 CSV 或 JSON 文件。"))],
        description=_l("CSV（UTF-8 或 GBK 编码，第一行为列名）或 JSON。"))
