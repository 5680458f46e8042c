from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, DecimalField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, NumberRange, Optional


class ManualEntryForm(FlaskForm):
    hours = DecimalField(
        _l("学时"), places=2, validators=[DataRequired(_l("请填写学时")), NumberRange(0.01, 100)]
    )
    reason = StringField(_l("原因"), validators=[DataRequired(_l("必须填写原因")), Length(max=500)])
    occurred_on = DateField(_l("日期"), validators=[Optional()])
    submit = SubmitField(_l("录入学时"))


class ReverseForm(FlaskForm):
    reason = StringField(_l("冲销原因"), validators=[DataRequired(_l("必须填写原因")), Length(max=500)])
    submit = SubmitField(_l("冲销"))
