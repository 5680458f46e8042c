from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateTimeLocalField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.core.forms import PageForm
from app.portal.models import KIND_LABELS, NOTICE_BODY_MAX, NOTICE_TITLE_MAX


class NoticeForm(PageForm):
    kind = SelectField(_l("类别"), choices=[(k.value, v) for k, v in KIND_LABELS.items()])
    title = StringField(_l("标题"), validators=[DataRequired(_l("请填写标题")), Length(max=NOTICE_TITLE_MAX)])
    branch_id = SelectField(_l("发布范围"), coerce=int)
    body = TextAreaField(
        _l("正文（Markdown）"),
        validators=[DataRequired(_l("请填写正文")), Length(max=NOTICE_BODY_MAX)],
        render_kw={"rows": 12},
    )
    starts_at = DateTimeLocalField(_l("活动时间"), format="%Y-%m-%dT%H:%M", validators=[Optional()])
    location = StringField(_l("活动地点"), validators=[Optional(), Length(max=200)])
    requires_receipt = BooleanField(_l("需要阅读回执（组织员可查看谁未读）"))
    save = SubmitField(_l("保存草稿"))
    publish = SubmitField(_l("发布"))
