"""Ticket forms: a visitor's registration (the same four fields at the gate), revoking, group lists and
passes in bulk. Field names are the services' (VisitorDetails), so a refusal lands next to its field."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import IntegerField, SelectChoice, SelectField, StringField, TelField
from wtforms.validators import InputRequired, NumberRange, Optional

from fair.forms import Obeys, at_most, required
from fair.visitors import services
from fair.visitors.models import VISITOR_KIND_LABELS, VisitorKind

KIND_CHOICES = [SelectChoice(kind.value, label) for kind, label in VISITOR_KIND_LABELS.items()]
WHOLE_NUMBER = _l("请填写整数。")


class VisitorForm(FlaskForm):
    """Four fields, so a walk-in is registered in seconds: name, phone, kind, and how many for a group."""

    name = StringField(_l("姓名"), validators=[required(), at_most(services.NAME_LONGEST)],
                       render_kw={"autocomplete": "name"})
    phone = TelField(_l("手机号"), validators=[required(), Obeys(services.normalise_phone)],
                     render_kw={"autocomplete": "tel", "inputmode": "numeric", "maxlength": 20},
                     description=_l("11 位手机号码；同一手机号每届只能登记一次。"))
    kind = SelectField(_l("观众类型"), choices=KIND_CHOICES, default=VisitorKind.public.value)
    group_size = IntegerField(_l("人数"), default=1, validators=[
        Optional(), NumberRange(min=1, max=services.LARGEST_GROUP, message=_l("人数须在 1–%(max)s 之间。"))],
        render_kw={"inputmode": "numeric", "min": 1, "max": services.LARGEST_GROUP},
        description=_l("学校或团体填写同行总人数，领队一人持码即可带全团入场；个人填 1。"))

    def details(self) -> services.VisitorDetails:
        return services.VisitorDetails(self.name.data, self.phone.data, VisitorKind(self.kind.data),
                                       self.group_size.data or 1)


class RevokeForm(FlaskForm):
    reason = StringField(_l("作废原因"), validators=[required(), at_most(200)])


class ReissueForm(FlaskForm):
    """Only the CSRF token: the new ticket copies the old one."""


class ImportForm(FlaskForm):
    file = FileField(_l("团体名单文件"), validators=[
        FileRequired(message=_l("请选择要上传的文件。")),
        FileAllowed(["xlsx", "csv"], message=_l("请上传 XLSX 或 CSV 文件。"))])


class BulkForm(FlaskForm):
    group_name = StringField(_l("团体名称"), validators=[required(), at_most(services.NAME_LONGEST - 10)])
    kind = SelectField(_l("观众类型"), choices=KIND_CHOICES, default=VisitorKind.group.value)
    count = IntegerField(_l("张数"), default=10, validators=[
        InputRequired(message=WHOLE_NUMBER),
        NumberRange(min=1, max=services.LARGEST_BULK, message=_l("张数须在 1–%(max)s 之间。"))],
        description=_l("每张入场码可让一人入场，不记名，也不带手机号，由团体联系人分发。"))
