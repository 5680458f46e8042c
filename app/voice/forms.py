from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateTimeLocalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.core.forms import InOurTimes, PageForm
from app.voice.models import BODY_MAX, QUESTION_KIND_LABELS, TITLE_MAX


class SurveyForm(PageForm):
    title = StringField(
        _l("调查标题"), validators=[DataRequired(_l("请填写调查标题")), Length(max=TITLE_MAX)]
    )
    description = TextAreaField(_l("说明"), validators=[Length(max=4000)], render_kw={"rows": 3})
    branch_id = SelectField(_l("调查范围（组织及其下级）"), coerce=int)
    invitees = TextAreaField(
        _l("指定人员（工号，每行一个，可选）"), validators=[Length(max=40_000)], render_kw={"rows": 2}
    )
    opens_at = DateTimeLocalField(
        _l("开始时间（北京时间）"), validators=[DataRequired(_l("请填写开始时间")), InOurTimes()]
    )
    closes_at = DateTimeLocalField(
        _l("结束时间（北京时间）"), validators=[DataRequired(_l("请填写结束时间")), InOurTimes()]
    )
    is_anonymous = BooleanField(_l("匿名调查（答卷与答题人不作任何关联）"), default=True)
    min_group = IntegerField(
        _l("最少展示人数（少于此数不显示统计）"),
        default=5,
        validators=[DataRequired(_l("请填写人数")), NumberRange(1, 100)],
    )


class QuestionForm(PageForm):
    section = StringField(_l("所属部分（可选）"), validators=[Length(max=100)])
    kind = SelectField(_l("题型"), choices=[(k.value, v) for k, v in QUESTION_KIND_LABELS.items()])
    text = StringField(_l("题目"), validators=[DataRequired(_l("请填写题目")), Length(max=500)])
    options = TextAreaField(
        _l("选项（每行一个；矩阵题为列）"), validators=[Length(max=5000)], render_kw={"rows": 4}
    )
    rows = TextAreaField(_l("矩阵行（每行一个）"), validators=[Length(max=5000)], render_kw={"rows": 3})
    is_required = BooleanField(_l("必答"), default=True)


class SuggestionForm(PageForm):
    title = StringField(_l("标题"), validators=[DataRequired(_l("请填写标题")), Length(max=TITLE_MAX)])
    body = TextAreaField(
        _l("建议内容"),
        validators=[DataRequired(_l("请填写建议内容")), Length(max=BODY_MAX)],
        render_kw={"rows": 6},
    )
    to = SelectField(_l("提交给"))
    is_anonymous = BooleanField(_l("对办理人匿名"))
    is_public = BooleanField(_l("答复后公开（本单位党员可以看到建议和答复）"))


class StepForm(PageForm):
    note = TextAreaField(
        _l("答复或说明"), validators=[Optional(), Length(max=BODY_MAX)], render_kw={"rows": 4}
    )


class RatingForm(PageForm):
    rating = SelectField(
        _l("评价"),
        choices=[("5", "★★★★★"), ("4", "★★★★"), ("3", "★★★"), ("2", "★★"), ("1", "★")],
        validators=[DataRequired()],
    )
    comment = StringField(_l("评价说明（可选）"), validators=[Optional(), Length(max=500)])


class AnswerForm(PageForm):
    """The answer page's CSRF check; the answers themselves are read by question (``q<id>``)."""


class InterviewForm(PageForm):
    title = StringField(
        _l("访谈标题"), validators=[DataRequired(_l("请填写访谈标题")), Length(max=TITLE_MAX)]
    )
    description = TextAreaField(_l("简介"), validators=[Length(max=4000)], render_kw={"rows": 3})
    guest_no = StringField(_l("嘉宾工号"), validators=[DataRequired(_l("请填写嘉宾工号")), Length(max=32)])
    guest_title = StringField(_l("嘉宾身份（如：公司党委书记）"), validators=[Length(max=100)])
    moderator_no = StringField(
        _l("主持人工号"), validators=[DataRequired(_l("请填写主持人工号")), Length(max=32)]
    )
    starts_at = DateTimeLocalField(
        _l("直播开始（北京时间）"), validators=[DataRequired(_l("请填写开始时间")), InOurTimes()]
    )
    ends_at = DateTimeLocalField(
        _l("直播结束（北京时间）"), validators=[DataRequired(_l("请填写结束时间")), InOurTimes()]
    )


class InterviewQuestionForm(PageForm):
    text = TextAreaField(
        _l("我要提问"), validators=[DataRequired(_l("请填写问题")), Length(max=500)], render_kw={"rows": 2}
    )


class InterviewAnswerForm(PageForm):
    answer = TextAreaField(
        _l("回答"), validators=[DataRequired(_l("请填写回答")), Length(max=10_000)], render_kw={"rows": 3}
    )
