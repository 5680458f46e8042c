from flask_babel import lazy_gettext as _l
from wtforms import MultipleFileField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.core.forms import PageForm
from app.works.models import BODY_MAX, COMMENT_MAX, TITLE_MAX, WORK_KIND_LABELS


class WorkForm(PageForm):
    kind = SelectField(_l("作品类型"), choices=[(k.value, v) for k, v in WORK_KIND_LABELS.items()])
    title = StringField(_l("标题"), validators=[DataRequired(_l("请填写标题")), Length(max=TITLE_MAX)])
    body = TextAreaField(
        _l("正文（支持 Markdown）"), validators=[Optional(), Length(max=BODY_MAX)], render_kw={"rows": 8}
    )
    photos = MultipleFileField(
        _l("图片（最多 9 张）"), render_kw={"accept": "image/png,image/jpeg,image/gif"}
    )
    media_asset_id = SelectField(_l("视频（您上传并已处理完成的）"), validate_choice=False)


class ResubmitForm(PageForm):
    title = StringField(_l("标题"), validators=[DataRequired(_l("请填写标题")), Length(max=TITLE_MAX)])
    body = TextAreaField(
        _l("正文（支持 Markdown）"), validators=[Optional(), Length(max=BODY_MAX)], render_kw={"rows": 8}
    )


class ReviewForm(PageForm):
    comment = TextAreaField(
        _l("审核意见（退回时必填）"), validators=[Optional(), Length(max=1000)], render_kw={"rows": 2}
    )


class CommentForm(PageForm):
    body = TextAreaField(
        _l("评论"),
        validators=[DataRequired(_l("请填写评论")), Length(max=COMMENT_MAX)],
        render_kw={"rows": 2},
    )
