"""The project application form, its attachments, and the organizer's reopening.

Required fields and text lengths come from the services' own tables, so every missing or overlong field is
marked at once; the services check everything again (numbers' ranges, the category) for every caller."""
from functools import partial

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (BooleanField, IntegerField, RadioField, SelectChoice, SelectField, SelectMultipleField,
                     StringField, TextAreaField)
from wtforms.validators import DataRequired, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from fair import money
from fair.applications.models import BOOTH_SIZE_LABELS, SUPPORT_LABELS, AttachmentKind, BoothSize
from fair.applications.services import NUMBER_LIMITS, REOPEN_REASON_LIMIT, REQUIRED, TEXT_LIMITS, check_number
from fair.forms import Obeys, at_most, city_field, city_in_province, district_field, province_field, required

ATTACHMENT_KIND_LABELS = {AttachmentKind.photo: _l("项目照片"), AttachmentKind.document: _l("证明材料")}


def _rules(name: str) -> list:
    rules = [required()] if name in REQUIRED else []
    return rules + [at_most(TEXT_LIMITS[name])]


class YuanField(StringField):
    """An amount typed in yuan (fair.money.parse_yuan: ¥, thousands separators, full-width digits); `data` is
    fen. The range is the service's to judge."""

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        try:
            self.data = money.parse_yuan(valuelist[0])
        except money.NotAnAmount:
            self.data = None
            raise ValueError(_l("请填写金额（元），最多两位小数，例如 12000 或 3500.50。")) from None

    def _value(self):
        return self.raw_data[0] if self.raw_data else money.yuan_text(self.data)


class CountField(IntegerField):
    """A whole number that may be left empty (read as 0), with a number keypad on phones."""

    def __init__(self, label, **kwargs):
        super().__init__(label, validators=[Optional()], render_kw={"inputmode": "numeric", "min": 0}, **kwargs)


class ApplicationForm(FlaskForm):
    title = StringField(_l("项目名称"), validators=_rules("title"))
    category = SelectField(_l("服务领域"), coerce=int,
                           validators=[DataRequired(message=_l("请选择本届展会的服务领域。"))])
    province = province_field()
    city = city_field()
    district = district_field()
    summary = TextAreaField(_l("项目简介"), validators=_rules("summary"),
                            description=_l("做什么、怎么做、有什么特色。"))
    service_targets = TextAreaField(_l("服务对象"), validators=_rules("service_targets"),
                                    description=_l("例如：社区独居老人、外来务工人员子女。"))
    beneficiaries = CountField(_l("受益人数"))
    volunteers = CountField(_l("志愿者人数"))
    years_running = CountField(_l("已开展年数"))
    past_outcomes = TextAreaField(_l("以往成效"), validators=_rules("past_outcomes"),
                                  description=_l("服务人次、获得的荣誉、媒体报道等。"))
    funding_need_fen = YuanField(_l("资金需求（元）"), render_kw={"inputmode": "decimal"},
                                 description=_l("希望通过展会对接的资金，没有可填 0。"))
    support_wanted = SelectMultipleField(
        _l("希望获得的支持"), widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
        choices=[SelectChoice(kind.value, label) for kind, label in SUPPORT_LABELS.items()])
    booth_size = RadioField(_l("展位"), default=BoothSize.standard.value,
                            choices=[SelectChoice(size.value, label) for size, label in BOOTH_SIZE_LABELS.items()])
    needs_power = BooleanField(_l("需要电源"))
    needs_step_free = BooleanField(_l("需要无障碍通道（轮椅可达）"))

    validate_city = city_in_province

    def __init__(self, *args, fair, locale: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.category.choices = [SelectChoice(0, _l("请选择"))] + [
            SelectChoice(category.id, category.display_name(locale)) for category in fair.categories]
        for name in NUMBER_LIMITS:          # the services' ranges, marked together with the other errors
            self[name].validators = [*self[name].validators, Obeys(partial(check_number, name))]


class AttachmentForm(FlaskForm):
    file = FileField(_l("选择文件"), validators=[FileRequired(message=_l("请选择要上传的文件。"))],
                     render_kw={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"})
    kind = RadioField(_l("类别"), default=AttachmentKind.photo.value,
                      choices=[SelectChoice(kind.value, label) for kind, label in ATTACHMENT_KIND_LABELS.items()])


class ReopenForm(FlaskForm):
    reason = TextAreaField(_l("退回原因"), validators=[required(), at_most(REOPEN_REASON_LIMIT)],
                           description=_l("申报单位会看到这段说明。"))
