from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from app.assessment.atlas.models import PLACE_KIND_LABELS
from app.core.forms import PageForm
from app.org.forms import latitude_field, longitude_field


class PlaceForm(PageForm):
    name = StringField(_l("名称"), validators=[DataRequired(), Length(max=100)])
    kind = SelectField(_l("类型"), choices=[(k.value, v) for k, v in PLACE_KIND_LABELS.items()])
    address = StringField(_l("地址"), validators=[Length(max=200)])
    latitude = latitude_field()
    longitude = longitude_field()
    contact = StringField(_l("联系人及电话"), validators=[Length(max=100)])
    description = TextAreaField(_l("简介"), validators=[Length(max=4000)])
    submit = SubmitField(_l("保存"))
