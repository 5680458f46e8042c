from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.core.forms import PageForm
from app.qa.models import ANSWER_BODY_MAX, COMMENT_BODY_MAX, QUESTION_BODY_MAX, QUESTION_TITLE_MAX


class QuestionForm(PageForm):
    title = StringField(
        _l("问题"),
        validators=[DataRequired(_l("请填写问题标题")), Length(min=4, max=QUESTION_TITLE_MAX)],
        render_kw={"autocomplete": "off", "placeholder": _l("一句话说清您的问题")},
    )
    body = TextAreaField(
        _l("补充说明（可选，支持 Markdown）"),
        validators=[Optional(), Length(max=QUESTION_BODY_MAX)],
        render_kw={"rows": 6},
    )
    tags = StringField(
        _l("标签"),
        validators=[Optional(), Length(max=400)],
        render_kw={"placeholder": _l("如：党费 组织关系")},
    )
    is_private = BooleanField(_l("不公开（只有讲师和管理员能看到）"))
    submit = SubmitField(_l("提问"))


class AnswerForm(PageForm):
    body = TextAreaField(
        _l("您的回答（支持 Markdown）"),
        validators=[DataRequired(_l("请填写回答")), Length(max=ANSWER_BODY_MAX)],
        render_kw={"rows": 6},
    )
    submit = SubmitField(_l("提交回答"))


class CommentForm(PageForm):
    body = StringField(_l("评论"), validators=[DataRequired(_l("请填写评论")), Length(max=COMMENT_BODY_MAX)])


class ReasonForm(PageForm):
    reason = StringField(_l("理由"), validators=[DataRequired(_l("请写明理由")), Length(max=500)])


class ExpertForm(PageForm):
    employee_no = StringField(_l("讲师工号"), validators=[DataRequired(_l("请填写讲师工号")), Length(max=32)])
    tags = StringField(_l("擅长标签"), validators=[DataRequired(_l("请填写标签")), Length(max=400)])
