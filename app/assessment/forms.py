"""The assessment's page forms. Numbers are read as text and checked by the services, which say in
Chinese what is wrong (a weight of ``NaN`` or ``1e9`` is a 422 with a message, never a 500)."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from app.assessment import indicators
from app.core.forms import PageForm


class SchemeForm(PageForm):
    name = StringField(_l("方案名称"), validators=[DataRequired(_l("请填写方案名称")), Length(max=100)])
    year = IntegerField(
        _l("年度"),
        validators=[InputRequired(_l("请填写年度")), NumberRange(2000, 2100, _l("请填写正确的年度"))],
    )
    half = SelectField(
        _l("考核周期"),
        choices=[("0", _l("全年")), ("1", _l("上半年")), ("2", _l("下半年"))],
        default="0",
    )


class SectionForm(PageForm):
    name = StringField(_l("板块名称"), validators=[DataRequired(_l("请填写板块名称")), Length(max=100)])


class IndicatorForm(PageForm):
    section_id = SelectField(_l("所属板块"), coerce=int, validate_choice=True)
    name = StringField(_l("指标名称"), validators=[DataRequired(_l("请填写指标名称")), Length(max=100)])
    kind = SelectField(_l("指标类型"))
    weight = StringField(_l("分值（权重）"), default="10")
    floor = StringField(_l("零分值（比例）"), default="0")
    target = StringField(_l("满分值（比例）"), default="1")

    def __init__(self, scheme, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.section_id.choices = [(s.id, s.name) for s in scheme.sections]
        self.kind.choices = indicators.choices()


class ManualScoreForm(PageForm):
    points = StringField(_l("得分"))
    comment = TextAreaField(_l("评语"), validators=[Length(max=1000)])
    evidence = FileField(_l("佐证材料"))


class AdjustForm(PageForm):
    delta = StringField(_l("调整分值（可为负数）"))
    reason = TextAreaField(_l("调整理由"), validators=[Length(max=500)])
