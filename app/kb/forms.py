from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.core.forms import PageForm
from app.kb.models import BODY_MAX, SUMMARY_MAX, TITLE_MAX


class ArticleForm(PageForm):
    title = StringField(_l("标题"), validators=[DataRequired(_l("请填写标题")), Length(max=TITLE_MAX)])
    summary = TextAreaField(
        _l("摘要"), validators=[Optional(), Length(max=SUMMARY_MAX)], render_kw={"rows": 2}
    )
    category_id = SelectField(_l("分类"), coerce=int, validate_choice=True)
    tags = StringField(
        _l("标签"),
        validators=[Optional(), Length(max=400)],
        render_kw={"placeholder": _l("用逗号或空格分隔")},
    )
    body = TextAreaField(
        _l("正文（Markdown）"),
        validators=[DataRequired(_l("请填写正文")), Length(max=BODY_MAX)],
        render_kw={"rows": 16},
    )
    note = StringField(_l("修改说明"), validators=[Optional(), Length(max=200)])
    save = SubmitField(_l("保存草稿"))
    submit_review = SubmitField(_l("提交审核"))
    publish = SubmitField(_l("发布"))


class UploadForm(PageForm):
    file = FileField(_l("文件"), validators=[FileRequired(_l("请选择文件"))])


class RejectForm(PageForm):
    note = TextAreaField(_l("退回原因"), validators=[DataRequired(_l("请写明退回原因")), Length(max=500)])


class CategoryForm(PageForm):
    name = StringField(_l("分类名称"), validators=[DataRequired(_l("请填写分类名称")), Length(max=50)])
    parent_id = SelectField(_l("上级分类"), coerce=int)
