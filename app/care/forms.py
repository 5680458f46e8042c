from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, DecimalField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.care.models import ASSISTANCE_KIND_LABELS, CASE_KIND_LABELS
from app.core.forms import Finite, InOurTimes, PageForm


class CaseForm(PageForm):
    member_no = StringField(_l("为党员代报（工号，本人申请留空）"), validators=[Optional(), Length(max=32)])
    kind = SelectField(_l("困难类别"), choices=[(k.value, v) for k, v in CASE_KIND_LABELS.items()])
    title = StringField(_l("标题"), validators=[DataRequired(_l("请填写标题")), Length(max=200)])
    description = TextAreaField(
        _l("困难情况"),
        validators=[DataRequired(_l("请填写困难情况")), Length(max=10_000)],
        render_kw={"rows": 6},
    )
    amount_needed = DecimalField(
        _l("需要帮扶金额（元，可选）"),
        places=2,
        validators=[Optional(), Finite(), NumberRange(0, 9_999_999_999)],
    )


class DecisionForm(PageForm):
    decision = SelectField(
        _l("审核结果"),
        choices=[("approve", _l("通过，开始帮扶")), ("reject", _l("不通过")), ("close", _l("结案"))],
    )
    note = TextAreaField(_l("说明"), validators=[Optional(), Length(max=1000)], render_kw={"rows": 2})
    follow_up_on = DateField(_l("回访日期（可选）"), validators=[Optional(), InOurTimes()])


class AssistanceForm(PageForm):
    kind = SelectField(_l("帮扶方式"), choices=[(k.value, v) for k, v in ASSISTANCE_KIND_LABELS.items()])
    given_on = DateField(_l("日期"), validators=[DataRequired(_l("请填写日期")), InOurTimes()])
    amount = DecimalField(
        _l("金额（元）"), places=2, validators=[Optional(), Finite(), NumberRange(0, 9_999_999_999)]
    )
    note = StringField(_l("说明"), validators=[Optional(), Length(max=1000)])


class DocumentForm(PageForm):
    file = FileField(_l("证明材料（PDF、PNG 或 JPEG）"), validators=[FileRequired(_l("请选择文件"))])
