from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.core.forms import PageForm
from app.membership import rules
from app.membership.models import DOCUMENT_KIND_LABELS, ENTRY_KIND_LABELS


class StepForm(PageForm):
    key = SelectField(
        _l("步骤"),
        choices=[(s.key, s.label) for s in rules.STEPS],
        validators=[DataRequired(_l("请选择步骤"))],
    )
    done_on = DateField(_l("完成日期"), validators=[DataRequired(_l("请填写完成日期（YYYY-MM-DD）"))])
    note = TextAreaField(_l("说明"), validators=[Optional(), Length(max=1000)], render_kw={"rows": 2})
    votes_present = IntegerField(
        _l("到会有表决权人数"), validators=[Optional(), NumberRange(min=1, max=100000)]
    )
    votes_for = IntegerField(_l("赞成票数"), validators=[Optional(), NumberRange(min=0, max=100000)])
    contacts = SelectMultipleField(_l("培养联系人（两名本支部正式党员）"), coerce=int, validate_choice=False)
    override_reason = TextAreaField(
        _l("破例理由（仅组织员；违反规则时填写）"),
        validators=[Optional(), Length(max=1000)],
        render_kw={"rows": 2},
    )


class TransferForm(PageForm):
    to_branch_id = SelectField(_l("转入党支部"), coerce=int, validate_choice=True)
    reason = TextAreaField(
        _l("转接原因"),
        validators=[DataRequired(_l("请填写转接原因")), Length(max=500)],
        render_kw={"rows": 2},
    )


class RejectForm(PageForm):
    reason = TextAreaField(
        _l("退回原因"),
        validators=[DataRequired(_l("请写明退回原因")), Length(max=500)],
        render_kw={"rows": 2},
    )


class ScanForm(PageForm):
    payload = StringField(
        _l("名片内容"), validators=[DataRequired(_l("请扫描或粘贴名片内容")), Length(max=600)]
    )


class DocumentForm(PageForm):
    file = FileField(_l("文件（PDF、PNG 或 JPEG）"), validators=[FileRequired(_l("请选择文件"))])
    kind = SelectField(_l("材料类别"), choices=[(k.value, v) for k, v in DOCUMENT_KIND_LABELS.items()])
    step_key = SelectField(
        _l("所属步骤"), choices=[("", _l("（不属于某一步骤）"))] + [(s.key, s.label) for s in rules.STEPS]
    )
    confidential = BooleanField(_l("保密（本人不可见）"))


class EntryForm(PageForm):
    kind = SelectField(_l("类别"), choices=[(k.value, v) for k, v in ENTRY_KIND_LABELS.items()])
    occurred_on = DateField(_l("日期"), validators=[DataRequired(_l("请填写日期（YYYY-MM-DD）"))])
    title = StringField(_l("内容"), validators=[DataRequired(_l("请填写内容")), Length(max=200)])
    confidential = BooleanField(_l("保密（本人不可见）"))


class LetterForm(PageForm):
    outside_org = StringField(
        _l("接收党组织"), validators=[DataRequired(_l("请填写接收党组织名称")), Length(max=200)]
    )
    reason = StringField(_l("转接原因"), validators=[DataRequired(_l("请填写转接原因")), Length(max=500)])


class IncomingForm(PageForm):
    employee_no = StringField(_l("工号"), validators=[DataRequired(_l("请填写工号")), Length(max=32)])
    to_branch_id = SelectField(_l("转入党支部"), coerce=int, validate_choice=True)
    outside_org = StringField(
        _l("转出党组织"), validators=[DataRequired(_l("请填写转出党组织名称")), Length(max=200)]
    )
    letter_no = StringField(
        _l("介绍信编号"), validators=[DataRequired(_l("请填写介绍信编号")), Length(max=32)]
    )
    reason = StringField(_l("转接原因"), validators=[DataRequired(_l("请填写转接原因")), Length(max=500)])


class ReceiptForm(PageForm):
    received_on = DateField(_l("回执日期"), validators=[DataRequired(_l("请填写回执日期（YYYY-MM-DD）"))])
    note = StringField(_l("说明"), validators=[Optional(), Length(max=500)])


class PhotoForm(PageForm):
    photo = FileField(
        _l("名片照片（JPEG、PNG 或 WebP，不超过 5 MB）"), validators=[FileRequired(_l("请选择照片"))]
    )
