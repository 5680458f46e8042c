from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    DecimalField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import URL, DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from app.core.forms import Finite, InOurTimes, PageForm
from courses.models import CATEGORIES, KIND_LABELS, LESSON_KIND_LABELS


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class CourseForm(PageForm):
    title = StringField(_l("课程名称"), validators=[DataRequired(_l("请填写课程名称")), Length(max=120)])
    summary = TextAreaField(
        _l("课程简介（支持 Markdown）"), validators=[Length(max=20000)], render_kw={"rows": 5}
    )
    category = SelectField(_l("分类"), choices=list(CATEGORIES.items()))
    kind = SelectField(_l("课程类型"), choices=[(k.value, v) for k, v in KIND_LABELS.items()])
    is_required = BooleanField(_l("必修课程"))
    credit_hours = DecimalField(
        _l("学时"),
        places=2,
        default=1,
        validators=[
            DataRequired(_l("请填写学时")),
            Finite(_l("学时必须是数字")),
            NumberRange(min=0, max=200),
        ],
    )
    tags = StringField(_l("标签（用逗号或空格分隔）"), validators=[Length(max=200)])
    cover = FileField(_l("封面图片（JPG/PNG/WebP，2 MB 以内）"))
    submit = SubmitField(_l("保存"))


class ChapterForm(PageForm):
    title = StringField(_l("章节名称"), validators=[DataRequired(_l("请填写章节名称")), Length(max=120)])
    submit = SubmitField(_l("保存章节"))


class LessonForm(PageForm):
    title = StringField(_l("课时名称"), validators=[DataRequired(_l("请填写课时名称")), Length(max=120)])
    kind = SelectField(_l("课时类型"), choices=[(k.value, v) for k, v in LESSON_KIND_LABELS.items()])
    #: Filled in by the upload widget (or chosen from the trainer's earlier uploads).
    media_asset_id = HiddenField()
    body = TextAreaField(_l("正文（图文课时；视频课时可填讲义，支持 Markdown）"), render_kw={"rows": 10})
    document = FileField(_l("PDF 文档（文档课时）"))
    captions = FileField(_l("字幕（WebVTT .vtt 文件，视频/音频课时）"))
    estimated_minutes = IntegerField(
        _l("预计学习时长（分钟，图文/文档课时；留空按字数估算）"),
        validators=[Optional(), NumberRange(min=1, max=600)],
    )
    completion_threshold = IntegerField(
        _l("完成比例（%）"), default=95, validators=[DataRequired(), NumberRange(min=10, max=100)]
    )
    credit_share = DecimalField(
        _l("本课时学时（留空则按时长分摊课程学时）"),
        places=2,
        validators=[Optional(), Finite(_l("课时学时必须是数字")), NumberRange(min=0, max=200)],
    )
    gating_quiz_id = IntegerField(
        _l("完成前须通过的测验编号（可选）"), validators=[Optional(), NumberRange(min=1, max=2**31 - 1)]
    )
    submit = SubmitField(_l("保存课时"))


class CoTrainerForm(PageForm):
    employee_no = StringField(_l("讲师工号"), validators=[DataRequired(_l("请填写工号")), Length(max=32)])
    submit = SubmitField(_l("添加协作讲师"))


class SessionForm(PageForm):
    title = StringField(_l("课堂名称"), validators=[DataRequired(), Length(max=120)])
    starts_at = DateTimeLocalField(
        _l("开始时间"), format="%Y-%m-%dT%H:%M", validators=[DataRequired(), InOurTimes()]
    )
    ends_at = DateTimeLocalField(
        _l("结束时间"), format="%Y-%m-%dT%H:%M", validators=[DataRequired(), InOurTimes()]
    )
    place = StringField(_l("上课地点"), validators=[Length(max=200)])
    meeting_url = StringField(_l("线上会议链接"), validators=[Optional(), URL(), Length(max=500)])
    credit_minutes = IntegerField(
        _l("出勤计入学时的分钟数"), default=90, validators=[DataRequired(), NumberRange(min=0, max=1440)]
    )
    pre_lesson_ids = MultiCheckboxField(_l("课前须完成的课时"), coerce=int)
    homework_prompt = TextAreaField(_l("课后作业要求（留空则不布置）"), render_kw={"rows": 4})
    homework_due_at = DateTimeLocalField(
        _l("作业截止时间"), format="%Y-%m-%dT%H:%M", validators=[Optional(), InOurTimes()]
    )
    submit = SubmitField(_l("保存课堂"))


class CheckinForm(PageForm):
    code = StringField(
        _l("签到码"),
        validators=[DataRequired(_l("请输入签到码")), Length(max=8)],
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    method = HiddenField(default="code")
    submit = SubmitField(_l("签到"))


class ManualCheckinForm(PageForm):
    reason = TextAreaField(
        _l("补签原因"),
        validators=[
            DataRequired(_l("请填写补签原因")),
            Length(max=200, message=_l("补签原因不能超过 200 个字")),
        ],
        render_kw={
            "rows": 3,
            "maxlength": 200,
            "placeholder": _l("例如：手机没电，未能扫码签到，经讲师现场确认到课"),
        },
    )
    submit = SubmitField(_l("确认补签"))


class HomeworkForm(PageForm):
    text = TextAreaField(_l("作业内容"), validators=[Length(max=20000)], render_kw={"rows": 6})
    file = FileField(_l("附件"))
    submit = SubmitField(_l("提交作业"))


class ReviewForm(PageForm):
    score = IntegerField(_l("分数"), validators=[DataRequired(_l("请打分")), NumberRange(min=0, max=100)])
    comment = TextAreaField(_l("评语"), validators=[Length(max=2000)], render_kw={"rows": 2})
    submit = SubmitField(_l("保存批阅"))


class AssignmentForm(PageForm):
    title = StringField(_l("任务名称"), validators=[DataRequired(_l("请填写任务名称")), Length(max=120)])
    course_ids = MultiCheckboxField(_l("课程"), coerce=int)
    #: Not checked against the choices here: the service refuses branches outside the scope (403).
    branch_id = SelectField(
        _l("组织（含下级组织全部成员）"), coerce=int, validators=[Optional()], validate_choice=False
    )
    members = TextAreaField(_l("或指定成员（工号，每行一个或用逗号分隔）"), render_kw={"rows": 3})
    start_on = DateField(_l("开始日期"), validators=[DataRequired(), InOurTimes()])
    due_on = DateField(_l("截止日期"), validators=[DataRequired(), InOurTimes()])
    note = TextAreaField(_l("说明"), validators=[Length(max=2000)], render_kw={"rows": 2})
    submit = SubmitField(_l("布置任务"))


class CommentForm(PageForm):
    body = TextAreaField(
        _l("发表评论"),
        validators=[DataRequired(_l("请输入评论内容")), Length(max=2000)],
        render_kw={"rows": 2},
    )
    parent_id = HiddenField()
    submit = SubmitField(_l("发表"))
