from flask_babel import lazy_gettext as _l
from wtforms import DecimalField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.core.forms import PageForm
from app.org.models import KIND_LABELS


def latitude_field() -> DecimalField:
    """Decimal degrees (WGS-84), optional: the branch and place forms of the red map."""
    return DecimalField(_l("纬度"), places=6, validators=[Optional(), NumberRange(-90, 90)])


def longitude_field() -> DecimalField:
    return DecimalField(_l("经度"), places=6, validators=[Optional(), NumberRange(-180, 180)])


class BranchForm(PageForm):
    name = StringField(_l("名称"), validators=[DataRequired(), Length(max=100)])
    kind = SelectField(_l("类型"), choices=[(k.value, v) for k, v in KIND_LABELS.items()])
    parent_id = SelectField(_l("上级组织"), coerce=int)
    #: Where the branch is on the red map (optional) and its public contact number.
    address = StringField(_l("地址"), validators=[Length(max=200)])
    latitude = latitude_field()
    longitude = longitude_field()
    contact_phone = StringField(_l("联系电话"), validators=[Length(max=32)])
    submit = SubmitField(_l("保存"))
