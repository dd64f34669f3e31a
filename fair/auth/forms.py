from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectChoice, SelectField, StringField, TelField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, ValidationError

from fair.auth.models import ORGANISATION_KIND_LABELS, OrganisationKind, Role
from fair.auth.services import check_credit_code, check_mobile
from fair.forms import Obeys, at_most, city_field, city_in_province, district_field, province_field, required


class LoginForm(FlaskForm):
    email = EmailField(_l("邮箱"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("密码"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("在此设备上保持登录"))


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(_l("当前密码"), validators=[DataRequired(), Length(max=200)])
    new_password = PasswordField(_l("新密码"), validators=[DataRequired(), Length(max=200)])
    confirm = PasswordField(_l("再次输入新密码"),
                            validators=[DataRequired(), EqualTo("new_password", message=_l("两次输入的密码不一致。"))])


class InvitationForm(FlaskForm):
    email = EmailField(_l("邮箱"), validators=[DataRequired(), Email(message=_l("请输入有效的邮箱地址。")),
                                              Length(max=254)])
    name = StringField(_l("姓名"), validators=[Optional(), Length(max=80)])
    role = SelectField(_l("角色"), default=Role.exhibitor.value)   # the least powerful role unless chosen
    organisation_id = SelectField(_l("所属单位"), coerce=int)
    new_organisation = StringField(_l("或新建单位"), validators=[Optional(), Length(max=120)],
                                   description=_l("单位不在列表中时，填写全称即可新建。"))
    new_organisation_kind = SelectField(_l("新单位类型"), default=OrganisationKind.volunteer.value)

    def __init__(self, *args, organisations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = [SelectChoice(role.value, role.label) for role in Role]
        self.organisation_id.choices = [SelectChoice(0, _l("（不指定）"))] + [
            SelectChoice(o.id, o.name) for o in organisations]
        self.new_organisation_kind.choices = [SelectChoice(kind.value, kind.label) for kind in OrganisationKind]

    def validate_new_organisation(self, field):
        if field.data and field.data.strip() and self.organisation_id.data:
            raise ValidationError(_l("请选择已有单位或新建单位，二者选一。"))


class AcceptInvitationForm(FlaskForm):
    name = StringField(_l("姓名"), validators=[DataRequired(), Length(max=80)])
    password = PasswordField(_l("设置密码"), validators=[DataRequired(), Length(max=200)])
    confirm = PasswordField(_l("再次输入密码"),
                            validators=[DataRequired(), EqualTo("password", message=_l("两次输入的密码不一致。"))])


class ConfirmForm(FlaskForm):
    """A button that changes something: only its CSRF token is checked."""


class RegistrationForm(FlaskForm):
    """An organisation registering itself for a fair, with its first user; the service checks the rest."""

    organisation_name = StringField(_l("单位名称"), validators=[required(), at_most(120)],
                                    description=_l("与登记证书或营业执照上的名称一致。"))
    credit_code = StringField(_l("统一社会信用代码"), validators=[required(), at_most(40), Obeys(check_credit_code)],
                              description=_l("18 位，见登记证书或营业执照。"))
    kind = SelectField(_l("单位类型"), default=OrganisationKind.volunteer.value,
                       choices=[SelectChoice(kind.value, label) for kind, label in ORGANISATION_KIND_LABELS.items()])
    province = province_field()
    city = city_field()
    district = district_field()
    contact_name = StringField(_l("联系人"), validators=[required(), at_most(40)])
    contact_phone = TelField(_l("联系人手机"), validators=[required(), at_most(20), Obeys(check_mobile)],
                             description=_l("11 位手机号码，组织方通过它联系您。"))
    name = StringField(_l("您的姓名"), validators=[required(), at_most(80)])
    email = EmailField(_l("邮箱"), validators=[required(), Email(message=_l("请输入有效的邮箱地址。")),
                                              at_most(254)], description=_l("用于登录和接收展会通知。"))
    password = PasswordField(_l("设置密码"), validators=[required(), at_most(200)],
                             description=_l("至少 8 个字符。"))
    confirm = PasswordField(_l("再次输入密码"),
                            validators=[required(), EqualTo("password", message=_l("两次输入的密码不一致。"))])

    validate_city = city_in_province
