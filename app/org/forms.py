from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from app.core.forms import PageForm
from app.org.models import KIND_LABELS


class BranchForm(PageForm):
    name = StringField(_l("名称"), validators=[DataRequired(), Length(max=100)])
    kind = SelectField(_l("类型"), choices=[(k.value, v) for k, v in KIND_LABELS.items()])
    parent_id = SelectField(_l("上级组织"), coerce=int)
    submit = SubmitField(_l("保存"))
