from datetime import UTC

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateTimeLocalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.core.clock import LOCAL_TZ
from app.core.forms import InOurTimes, PageForm
from app.quiz.models import DIFFICULTY_LABELS, KIND_LABELS, OPTION_KEYS, PURPOSE_LABELS, REVIEW_LABELS

DIFFICULTY_CHOICES = [
    (level, _l("%(level)s · %(label)s", level=level, label=label))
    for level, label in DIFFICULTY_LABELS.items()
]


def to_utc(value):
    """A ``datetime-local`` value is Beijing time as typed; store it as UTC."""
    return value.replace(tzinfo=LOCAL_TZ).astimezone(UTC) if value else None


def to_local(value):
    return value.astimezone(LOCAL_TZ).replace(tzinfo=None) if value else None


class QuestionForm(PageForm):
    kind = SelectField(_l("题型"), choices=[(k.value, v) for k, v in KIND_LABELS.items()])
    stem = TextAreaField(_l("题干"), validators=[DataRequired(_l("请填写题干")), Length(max=2000)])
    option_a = StringField(_l("选项 A"), validators=[Length(max=500)])
    option_b = StringField(_l("选项 B"), validators=[Length(max=500)])
    option_c = StringField(_l("选项 C"), validators=[Length(max=500)])
    option_d = StringField(_l("选项 D"), validators=[Length(max=500)])
    option_e = StringField(_l("选项 E"), validators=[Length(max=500)])
    option_f = StringField(_l("选项 F"), validators=[Length(max=500)])
    option_g = StringField(_l("选项 G"), validators=[Length(max=500)])
    option_h = StringField(_l("选项 H"), validators=[Length(max=500)])
    answer = StringField(
        _l("答案"),
        validators=[DataRequired(_l("请填写答案")), Length(max=1000)],
        description=_l("单选如 B；多选如 ACD；判断填 正确 或 错误；填空题多个可接受答案用 | 分隔"),
    )
    explanation = TextAreaField(_l("解析"), validators=[Length(max=4000)])
    difficulty = SelectField(_l("难度"), choices=DIFFICULTY_CHOICES, coerce=int, default=3)
    tags = StringField(_l("标签"), validators=[Length(max=200)], description=_l("多个用逗号分隔"))
    category = StringField(_l("分类"), validators=[Length(max=64)])
    source = StringField(_l("来源"), validators=[Length(max=200)])

    @property
    def option_fields(self):
        return [getattr(self, f"option_{k.lower()}") for k in OPTION_KEYS]


class ImportForm(PageForm):
    file = FileField(_l("题库文件（XLSX、GIFT 或 Aiken）"), validators=[FileRequired(_l("请选择文件"))])
    category = StringField(_l("分类（文件中未写分类的题目使用）"), validators=[Length(max=64)])


class GrantForm(PageForm):
    category = StringField(_l("分类"), validators=[Length(max=64)], description=_l("留空表示未分类的题目"))
    grantee = StringField(
        _l("授权给（讲师工号）"), validators=[DataRequired(_l("请填写讲师工号")), Length(max=32)]
    )
    #: Admins only: whose questions (an employee number); a trainer always grants their own.
    owner = StringField(_l("题目作者工号（管理员填写）"), validators=[Length(max=32)])


class QuizForm(PageForm):
    title = StringField(_l("名称"), validators=[DataRequired(_l("请填写名称")), Length(max=200)])
    description = TextAreaField(_l("说明"), validators=[Length(max=4000)])
    purpose = SelectField(_l("用途"), choices=[(k.value, v) for k, v in PURPOSE_LABELS.items()])
    question_ids = StringField(_l("固定题目（题目编号，用逗号分隔）"), validators=[Length(max=4000)])
    draw_count = IntegerField(_l("或随机抽题数"), validators=[Optional(), NumberRange(1, 200)])
    draw_category = StringField(_l("抽题分类"), validators=[Length(max=64)])
    draw_difficulty = SelectField(
        _l("抽题难度"), choices=[(0, _l("不限")), *DIFFICULTY_CHOICES], coerce=int, default=0
    )
    time_limit_minutes = IntegerField(
        _l("限时（分钟，空为不限）"), validators=[Optional(), NumberRange(1, 600)]
    )
    max_attempts = IntegerField(_l("允许作答次数（空为不限）"), validators=[Optional(), NumberRange(1, 100)])
    pass_mark = IntegerField(_l("及格线（%）"), default=60, validators=[NumberRange(0, 100)])
    shuffle_questions = BooleanField(_l("打乱题目顺序"), default=True)
    shuffle_options = BooleanField(_l("打乱选项顺序"), default=True)
    review = SelectField(_l("答案与解析"), choices=[(k.value, v) for k, v in REVIEW_LABELS.items()])
    opens_at = DateTimeLocalField(_l("开始时间（北京时间）"), validators=[Optional(), InOurTimes()])
    closes_at = DateTimeLocalField(_l("结束时间（北京时间）"), validators=[Optional(), InOurTimes()])
    switch_limit = IntegerField(
        _l("切屏自动交卷（次，0 为不限）"),
        default=0,
        validators=[Optional(), NumberRange(0, 50)],
        description=_l("仅对“考试”生效：考试中离开页面（切换应用、窗口失焦）达到此次数时系统自动交卷。"),
    )
    is_published = BooleanField(_l("发布（学员可以作答）"))


class ContestForm(PageForm):
    title = StringField(_l("竞赛名称"), validators=[DataRequired(_l("请填写名称")), Length(max=200)])
    description = TextAreaField(_l("说明"), validators=[Length(max=4000)])
    opens_at = DateTimeLocalField(
        _l("开始时间（北京时间）"), validators=[DataRequired(_l("请填写开始时间")), InOurTimes()]
    )
    closes_at = DateTimeLocalField(
        _l("结束时间（北京时间）"), validators=[DataRequired(_l("请填写结束时间")), InOurTimes()]
    )
    question_count = IntegerField(
        _l("每人题量"), default=10, validators=[DataRequired(), NumberRange(1, 100)]
    )
    time_limit_seconds = IntegerField(
        _l("每人限时（秒）"), default=300, validators=[DataRequired(), NumberRange(10, 86400)]
    )
    draw_category = StringField(_l("抽题分类（空为全部）"), validators=[Length(max=64)])
    draw_difficulty = SelectField(
        _l("抽题难度"), choices=[(0, _l("不限")), *DIFFICULTY_CHOICES], coerce=int, default=0
    )
    branch_id = SelectField(_l("参赛范围"), coerce=int)
