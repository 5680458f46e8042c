from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, EqualTo, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from app.accounts.models import EDUCATION_LABELS, GENDER_LABELS, POSITION_LABELS, ROLE_LABELS
from app.core.forms import PageForm


class LoginForm(PageForm):
    identifier = StringField(
        _l("工号或手机号"), validators=[DataRequired(_l("请输入工号或手机号")), Length(max=64)]
    )
    password = PasswordField(_l("密码"), validators=[DataRequired(_l("请输入密码")), Length(max=128)])
    remember = BooleanField(_l("记住我"))
    submit = SubmitField(_l("登录"))


class ChangePasswordForm(PageForm):
    current_password = PasswordField(_l("当前密码"), validators=[DataRequired()])
    new_password = PasswordField(_l("新密码"), validators=[DataRequired(), Length(min=8, max=128)])
    confirm = PasswordField(
        _l("确认新密码"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("两次输入的密码不一致"))],
    )
    submit = SubmitField(_l("修改密码"))


class TokenForm(PageForm):
    name = StringField(_l("令牌名称"), validators=[DataRequired(), Length(max=64)])
    #: Choices (30/90/365 days) come from the configuration, set by the view.
    days = SelectField(_l("有效期"), coerce=int, validators=[DataRequired(_l("请选择有效期"))])
    read_only = BooleanField(_l("只读（只能查询，不能修改数据）"))
    password = PasswordField(
        _l("登录密码（创建令牌须再次验证身份）"),
        validators=[DataRequired(_l("请输入登录密码")), Length(max=128)],
    )
    submit = SubmitField(_l("创建令牌"))


class ResetPasswordForm(PageForm):
    new_password = PasswordField(_l("新密码"), validators=[DataRequired(), Length(min=8, max=128)])
    submit = SubmitField(_l("重置密码（用户下次登录须修改）"))


def _choices(labels: dict) -> list[tuple[str, str]]:
    return [("", "—")] + [(k.value, v) for k, v in labels.items()]


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class UserForm(PageForm):
    employee_no = StringField(_l("工号"), validators=[DataRequired(), Length(max=32)])
    name = StringField(_l("姓名"), validators=[DataRequired(), Length(max=64)])
    gender = SelectField(_l("性别"), choices=_choices(GENDER_LABELS), validators=[Optional()])
    mobile = StringField(_l("手机号"), validators=[Optional(), Length(max=20)])
    branch_id = SelectField(_l("所属组织"), coerce=int, validators=[DataRequired(_l("请选择所属组织"))])
    joined_party_on = DateField(_l("入党日期"), validators=[Optional()])
    position = SelectField(_l("党内职务"), choices=_choices(POSITION_LABELS), validators=[Optional()])
    birth_date = DateField(_l("出生日期"), validators=[Optional()])
    education = SelectField(_l("学历"), choices=_choices(EDUCATION_LABELS), validators=[Optional()])
    roles = MultiCheckboxField(_l("角色"), choices=[(k.value, v) for k, v in ROLE_LABELS.items()])
    password = PasswordField(
        _l("初始密码（留空则生成一次性激活码）"), validators=[Optional(), Length(min=8, max=128)]
    )
    submit = SubmitField(_l("保存"))


class ImportForm(PageForm):
    file = FileField(_l("成员表（.xlsx 或 .csv）"), validators=[FileRequired(_l("请选择要导入的文件"))])
    submit = SubmitField(_l("上传并导入"))
