"""Forms of the sponsor's profile, the organizer's "add a sponsor" and the bookmark buttons. The services
check everything again (sponsorship/profiles.py); these mark every missing or malformed field at once."""
from flask_babel import gettext as _, lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (EmailField, HiddenField, IntegerField, SelectChoice, SelectField, SelectMultipleField, StringField,
                     TelField, TextAreaField)
from wtforms.validators import Email, Optional
from wtforms.widgets import CheckboxInput, HiddenInput, ListWidget

from fair.applications.forms import YuanField
from fair.applications.models import SUPPORT_LABELS
from fair.auth.models import ORGANISATION_KIND_LABELS
from fair.auth.services import check_mobile
from fair.forms import Obeys, at_most, required
from fair.refusal import Refused
from sponsorship.profiles import (NAME_LONGEST, NOTE_LONGEST, PERSON_LONGEST, SPONSOR_KINDS, TEXT_LIMITS,
                                  check_budget)


def _stripped(value):
    return value.strip() if isinstance(value, str) else value


def _checkboxes(label, **kwargs) -> SelectMultipleField:
    return SelectMultipleField(label, widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
                               validate_choice=False, **kwargs)


def kind_choices() -> list[SelectChoice]:
    return [SelectChoice(kind.value, ORGANISATION_KIND_LABELS[kind]) for kind in SPONSOR_KINDS]


class ProfileForm(FlaskForm):
    """`version`: the profile as the page showed it (0: none saved yet), so a concurrent edit is refused."""

    version = IntegerField(widget=HiddenInput(), validators=[Optional()])
    introduction = TextAreaField(_l("单位简介"), filters=[_stripped],
                                 validators=[at_most(TEXT_LIMITS["introduction"])], render_kw={"rows": 4},
                                 description=_l("单位做什么、以往支持过哪些公益项目。"))
    focus_category_ids = _checkboxes(_l("关注的服务领域"), coerce=int, description=_l("不选表示不限领域。"))
    regions = _checkboxes(_l("关注的地区"), description=_l("不选表示不限地区。"))      # the province's, see __init__
    budget_min = YuanField(_l("预算下限（元）"), render_kw={"inputmode": "decimal", "maxlength": 20})
    budget_max = YuanField(_l("预算上限（元）"), render_kw={"inputmode": "decimal", "maxlength": 20})
    support_offered = _checkboxes(_l("可提供的支持"),
                                  choices=[SelectChoice(kind.value, label) for kind, label in SUPPORT_LABELS.items()])
    wants = TextAreaField(_l("希望看到的项目"), filters=[_stripped], validators=[at_most(TEXT_LIMITS["wants"])],
                          render_kw={"rows": 3}, description=_l("例如：服务农村留守老人、已运行三年以上、有清晰的成效数据。"))
    contact_name = StringField(_l("联系人"), filters=[_stripped],
                               validators=[required(), at_most(TEXT_LIMITS["contact_name"])],
                               render_kw={"autocomplete": "name"})
    contact_phone = TelField(_l("联系人手机"), filters=[_stripped],
                             validators=[required(), at_most(20), Obeys(check_mobile)],
                             render_kw={"autocomplete": "tel", "inputmode": "numeric"},
                             description=_l("仅组织方可见，用于安排对接洽谈。"))

    def __init__(self, *args, categories=(), cities=(), province=None, locale="zh", **kwargs):
        super().__init__(*args, **kwargs)
        self.focus_category_ids.choices = [SelectChoice(c.id, c.display_name(locale)) for c in categories]
        self.regions.choices = [SelectChoice(city) for city in cities]
        if province:
            self.regions.description = _("%(province)s的城市；不选表示不限地区。", province=province)

    def validate(self, extra_validators=None) -> bool:
        """The budget's rules (two fields together) marked with the other fields' errors."""
        valid = super().validate(extra_validators)
        if self.budget_min.errors or self.budget_max.errors:
            return valid
        try:
            check_budget(self.budget_min.data or 0, self.budget_max.data or 0)
        except Refused as refusal:
            getattr(self, refusal.field).errors.append(refusal.message)
            return False
        return valid


class AddSponsorForm(FlaskForm):
    organisation_name = StringField(_l("单位名称"), filters=[_stripped], validators=[required(), at_most(NAME_LONGEST)])
    kind = SelectField(_l("单位类型"), choices=kind_choices())
    email = EmailField(_l("代表的邮箱"), filters=[_stripped],
                       validators=[required(), Email(message=_l("请输入有效的邮箱地址。")), at_most(254)],
                       description=_l("已有账号的用户直接成为该单位的支持方代表；尚无账号的将生成邀请链接。"))
    person_name = StringField(_l("代表姓名"), filters=[_stripped], validators=[Optional(), at_most(PERSON_LONGEST)],
                              description=_l("仅用于邀请新用户。"))


class BookmarkForm(FlaskForm):
    """The state the button asks for ("1" bookmark, "0" remove) and the page to go back to."""

    bookmarked = HiddenField()
    next = HiddenField()


class NoteForm(FlaskForm):
    note = StringField(_l("备注"), filters=[_stripped], validators=[at_most(NOTE_LONGEST)])
