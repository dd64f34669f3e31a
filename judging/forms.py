"""Forms of the organizer's judging setup and judges pages and of a judge's conflict declaration; the
services check the rules (weights summing to 100, credit codes), and their refusals land on these fields."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, EmailField, FieldList, Form, FormField, HiddenField, IntegerField, RadioField,
                     SelectChoice, SelectField, SelectMultipleField, StringField, TextAreaField)
from wtforms.validators import DataRequired, Email, InputRequired, NumberRange, Optional
from wtforms.widgets import CheckboxInput, HiddenInput, ListWidget

from fair.auth.models import ORGANISATION_KIND_LABELS, OrganisationKind
from fair.auth.services import check_credit_code
from fair.forms import Obeys, at_most, required
from judging.models import AFFILIATION_LABELS, AWARD_SCOPE_LABELS, DECLARATION_LABELS, TIE_LABELS, AffiliationKind
from judging.services import MAX_JUDGES_PER_PROJECT, MAX_TIER_COUNT, REASON_LENGTH

WHOLE_NUMBER = _l("请填写整数。")
RUBRIC_ROWS = 8          # blank rows are ignored: room to add criteria without script
TIER_ROWS = 6


def _stripped(value):
    return value.strip() if isinstance(value, str) else value


def _choices(labels: dict) -> list[SelectChoice]:
    return [SelectChoice(kind.value, label) for kind, label in labels.items()]


class VersionedForm(FlaskForm):
    """`version`: the judging setup as the page showed it, so a concurrent change is refused, not lost."""

    version = IntegerField(widget=HiddenInput(), validators=[Optional()])


class RowForm(Form):
    """A table row inside a FlaskForm: WTForms' own messages translated like the outer form's, no token."""

    class Meta(FlaskForm.Meta):
        csrf = False


class CriterionRowForm(RowForm):
    name = StringField(_l("评分项"), validators=[at_most(60)])
    name_en = StringField(_l("英文名称"), validators=[at_most(80)])
    weight = IntegerField(_l("权重"), validators=[Optional(), NumberRange(min=1, max=100)])
    max_points = IntegerField(_l("满分"), validators=[Optional(), NumberRange(min=1, max=100)])
    tie_break = BooleanField(_l("同分优先"))

    @property
    def blank(self) -> bool:
        return not (self.name.data or "").strip() and self.weight.data is None


class RubricForm(VersionedForm):
    criteria = FieldList(FormField(CriterionRowForm), min_entries=RUBRIC_ROWS, max_entries=RUBRIC_ROWS + 4)


class TierRowForm(RowForm):
    name = StringField(_l("奖项"), validators=[at_most(40)])
    name_en = StringField(_l("英文名称"), validators=[at_most(60)])
    count = IntegerField(_l("名额"), validators=[Optional(), NumberRange(min=0, max=MAX_TIER_COUNT)])

    @property
    def blank(self) -> bool:
        return not (self.name.data or "").strip() and self.count.data is None


class TiersForm(VersionedForm):
    scope = SelectField(_l("名额适用范围"), choices=_choices(AWARD_SCOPE_LABELS),
                        description=_l("按服务领域或按展区时，每个领域或展区各评出上述名额。"))
    tiers = FieldList(FormField(TierRowForm), min_entries=TIER_ROWS, max_entries=TIER_ROWS + 4)


class JudgesPerProjectForm(VersionedForm):
    judges_per_project = IntegerField(_l("每个项目的评委人数"), validators=[
        InputRequired(message=WHOLE_NUMBER), NumberRange(min=1, max=MAX_JUDGES_PER_PROJECT)])


class StateForm(VersionedForm):
    """Open, lock or reopen judging: the box must be ticked, the page's confirmation without script."""

    action = HiddenField()
    confirm = BooleanField(_l("我已确认"), validators=[DataRequired(message=_l("请先勾选确认。"))])


class JudgeForm(FlaskForm):
    """Add a judge (by e-mail) or edit one (the e-mail is then not asked)."""

    email = EmailField(_l("邮箱"), filters=[_stripped],
                       validators=[required(), Email(message=_l("请输入有效的邮箱地址。")), at_most(254)],
                       description=_l("已有账号的用户直接成为评委；尚无账号的将生成邀请链接。"))
    name = StringField(_l("姓名"), validators=[Optional(), at_most(80)], description=_l("仅用于邀请新用户。"))
    title = StringField(_l("职务/头衔"), validators=[Optional(), at_most(120)],
                        description=_l("例如：南京大学社会学院教授"))
    expertise = SelectMultipleField(_l("擅长的服务领域"), coerce=int, widget=ListWidget(prefix_label=False),
                                    option_widget=CheckboxInput())
    zone_ids = SelectMultipleField(_l("可评审的展区"), coerce=int, widget=ListWidget(prefix_label=False),
                                   option_widget=CheckboxInput(), description=_l("不选表示不限展区。"))

    def __init__(self, *args, categories=(), zones=(), locale="zh", editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.expertise.choices = [SelectChoice(c.id, c.display_name(locale)) for c in categories]
        self.zone_ids.choices = [SelectChoice(z.id, z.name_en if locale.startswith("en") and z.name_en else z.name)
                                 for z in zones]
        if editing:
            del self.email
            del self.name


class AffiliationForm(FlaskForm):
    credit_code = StringField(_l("统一社会信用代码"), validators=[required(), at_most(40), Obeys(check_credit_code)],
                              description=_l("18 位，按代码匹配单位，避免名称写法不同而漏掉回避。"))
    kind = SelectField(_l("关联类型"), choices=_choices(AFFILIATION_LABELS), default=AffiliationKind.employer.value)
    new_name = StringField(_l("单位名称（仅新单位）"), validators=[Optional(), at_most(120)],
                           description=_l("代码尚未登记时填写，将同时登记该单位。"))
    new_kind = SelectField(_l("新单位类型"), choices=_choices(ORGANISATION_KIND_LABELS),
                           default=OrganisationKind.volunteer.value)


class TieForm(FlaskForm):
    first_code = StringField(_l("单位甲的统一社会信用代码"),
                             validators=[required(), at_most(40), Obeys(check_credit_code)])
    kind = SelectField(_l("关系"), choices=_choices(TIE_LABELS))
    second_code = StringField(_l("单位乙的统一社会信用代码"),
                              validators=[required(), at_most(40), Obeys(check_credit_code)])
    first_name = StringField(_l("单位甲名称（仅新单位）"), validators=[Optional(), at_most(120)])
    second_name = StringField(_l("单位乙名称（仅新单位）"), validators=[Optional(), at_most(120)])


class DeactivateForm(FlaskForm):
    reason = StringField(_l("停用原因"), validators=[Optional(), at_most(200)])


class DeclarationForm(FlaskForm):
    application_id = IntegerField(widget=HiddenInput(), validators=[InputRequired(message=_l("请选择项目。"))])
    kind = RadioField(_l("类型"), choices=_choices(DECLARATION_LABELS), default="declared")
    reason = TextAreaField(_l("回避理由"), validators=[required(), at_most(REASON_LENGTH)],
                           description=_l("例如：曾担任该项目顾问；与申报单位负责人为亲属。"))


class ConfirmForm(FlaskForm):
    """A button that changes something: only its CSRF token is checked."""
