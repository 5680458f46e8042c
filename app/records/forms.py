from flask_babel import lazy_gettext as _l
from wtforms import DateField, DecimalField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, StopValidation

from app.core.forms import PageForm


def finite(form, field) -> None:
    """Refuse NaN and infinities before a range check meets them (a signalling NaN raises there)."""
    if field.data is not None and not field.data.is_finite():
        raise StopValidation(_l("学时必须是数字"))


class ManualEntryForm(PageForm):
    hours = DecimalField(
        _l("学时"), places=2, validators=[DataRequired(_l("请填写学时")), finite, NumberRange(0.01, 100)]
    )
    reason = StringField(_l("原因"), validators=[DataRequired(_l("必须填写原因")), Length(max=500)])
    occurred_on = DateField(_l("日期"), validators=[Optional()])
    submit = SubmitField(_l("录入学时"))


class ReverseForm(PageForm):
    reason = StringField(_l("冲销原因"), validators=[DataRequired(_l("必须填写原因")), Length(max=500)])
    submit = SubmitField(_l("冲销"))


class DecisionForm(PageForm):
    """A second coordinator's decision on a held manual entry."""

    decision = StringField(validators=[DataRequired()])
    note = StringField(_l("退回理由"), validators=[Length(max=500)])
