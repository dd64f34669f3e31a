from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, FieldList, Form, FormField, HiddenField, IntegerField, SelectChoice, SelectField,
                     TextAreaField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from fair.applications.models import Placement
from fair.shortlist.services import MAX_SIZE, MAX_WAITLIST, REASON_LENGTH

PLACEMENT_LABELS = {Placement.shortlist: _l("入围"), Placement.waitlist: _l("候补"), Placement.out: _l("不入围")}
WHOLE_NUMBER = _l("请填写整数。")


class QuotaRowForm(Form):
    """One category's or city's bounds; its label comes from the page's row, matched by `key`."""

    key = HiddenField()
    minimum = IntegerField(_l("最少"), validators=[Optional(), NumberRange(min=0, max=MAX_SIZE)])
    maximum = IntegerField(_l("最多"), validators=[Optional(), NumberRange(min=0, max=MAX_SIZE)])

    def validate_maximum(self, field):
        if field.data is not None and self.minimum.data is not None and field.data < self.minimum.data:
            raise ValidationError(_l("最多不能少于最少。"))


class SettingsForm(FlaskForm):
    size = IntegerField(_l("入围名额"), validators=[InputRequired(message=WHOLE_NUMBER),
                                                 NumberRange(min=1, max=MAX_SIZE)])
    categories = FieldList(FormField(QuotaRowForm))
    cities = FieldList(FormField(QuotaRowForm))


class ProposeForm(FlaskForm):
    waitlist_size = IntegerField(_l("候补名额"), validators=[Optional(), NumberRange(min=0, max=MAX_WAITLIST)],
                                 description=_l("留空则取入围名额的十分之一。"))


class OverrideForm(FlaskForm):
    placement = SelectField(_l("调整为"), choices=[SelectChoice(p.value, label) for p, label in PLACEMENT_LABELS.items()])
    reason = TextAreaField(_l("调整理由"), validators=[Length(max=REASON_LENGTH)])


class PublishForm(FlaskForm):
    confirm = BooleanField(_l("我已核对名单，确认发布结果并通知所有申报单位（发布后不能撤销）"),
                           validators=[DataRequired(message=_l("请先勾选确认。"))])


class ReplaceForm(FlaskForm):
    """Only the CSRF token: the withdrawn application is in the URL."""
