from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, ValidationError

from fair.auth.models import OrganisationKind, Role


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
