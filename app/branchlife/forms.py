from datetime import datetime

from flask import request
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.branchlife.services.planning import MeetingPlan
from app.core.clock import LOCAL_TZ
from app.core.forms import PageForm


class _MeetingForm(PageForm):
    """The kind and topic every meeting form asks first."""

    kind = SelectField(_l("会议类型"), validators=[DataRequired(_l("请选择会议类型"))])
    title = StringField(
        _l("会议主题"),
        validators=[
            DataRequired(_l("请填写会议主题")),
            Length(max=120, message=_l("会议主题不能超过 120 个字")),
        ],
    )


class RecordForm(_MeetingForm):
    """A meeting held already; the members present come as ``member`` checkboxes beside it."""

    held_on = DateField(_l("会议日期"), validators=[DataRequired(_l("请填写会议日期"))])
    minutes = IntegerField(
        _l("时长（分钟）"),
        validators=[
            DataRequired(_l("请填写会议时长")),
            NumberRange(1, 480, _l("会议时长须在 1–480 分钟之间")),
        ],
    )
    lecturer = IntegerField(_l("讲党课的人"), validators=[Optional()])
    submit = SubmitField(_l("记录会议并计入学时"))


class PlanForm(_MeetingForm):
    """A meeting to hold: chosen attendees come as ``member`` checkboxes when ``audience`` is chosen."""

    starts_at = DateTimeLocalField(
        _l("开始时间"), format="%Y-%m-%dT%H:%M", validators=[DataRequired(_l("请填写开始时间"))]
    )
    ends_at = DateTimeLocalField(
        _l("结束时间"), format="%Y-%m-%dT%H:%M", validators=[DataRequired(_l("请填写结束时间"))]
    )
    place = StringField(_l("地点"), validators=[Optional(), Length(max=200)])
    online_url = StringField(_l("线上会议链接"), validators=[Optional(), Length(max=500)])
    agenda = TextAreaField(_l("议程"), validators=[Optional(), Length(max=5000)])
    audience = SelectField(
        _l("参会人员"),
        choices=[("branch", _l("本支部全体成员")), ("group", _l("本党小组")), ("chosen", _l("指定成员"))],
        default="branch",
    )
    draft = SelectField(_l("发布"), choices=[("0", _l("立即发布并通知")), ("1", _l("存为草稿"))], default="0")
    #: Open to every member: listed on the red map under the branch (主题党日 visitors may join).
    is_open = BooleanField(_l("对全体党员开放（在红色地图上展示）"))
    #: The 党小组 expected when ``audience`` is group (a ``<select>`` of the branch's groups).
    group = IntegerField(_l("党小组"), validators=[Optional()])
    #: For a 党课: who gives it (a ``<select>`` of the branch's members in the template).
    lecturer = IntegerField(_l("讲党课的人"), validators=[Optional()])
    submit = SubmitField(_l("安排会议"))


class CheckinForm(PageForm):
    code = StringField(_l("签到码"), validators=[DataRequired(_l("请输入签到码")), Length(max=16)])


class CardCheckinForm(PageForm):
    payload = StringField(
        _l("名片内容"), validators=[DataRequired(_l("请扫描或粘贴名片内容")), Length(max=600)]
    )


class ReasonForm(PageForm):
    reason = StringField(_l("原因"), validators=[DataRequired(_l("请填写原因")), Length(max=500)])


class PresentForm(ReasonForm):
    member = IntegerField(validators=[DataRequired()])


class DecisionForm(PageForm):
    member = IntegerField(validators=[DataRequired()])
    decision = SelectField(choices=[("approve", _l("批准")), ("refuse", _l("不批准"))])


class FinaliseForm(PageForm):
    minutes = TextAreaField(
        _l("会议纪要"), validators=[DataRequired(_l("请填写会议纪要")), Length(max=20000)]
    )
    lecturer = IntegerField(_l("讲党课的人"), validators=[Optional()])


class AmendForm(FinaliseForm):
    reason = StringField(_l("更正原因"), validators=[DataRequired(_l("请填写更正原因")), Length(max=500)])


class NoteForm(PageForm):
    text = TextAreaField(_l("内容"), validators=[DataRequired(_l("请填写内容")), Length(max=10000)])
    member = IntegerField(validators=[Optional()])


def plan_from(form: PlanForm) -> MeetingPlan:
    """The plan a posted :class:`PlanForm` describes; its times are Beijing time; chosen attendees
    come as ``member`` checkboxes."""
    audience = form.audience.data if form.audience.data in ("branch", "group") else None
    if audience is None:
        audience = request.form.getlist("member", type=int)
    return MeetingPlan(
        form.kind.data,
        form.title.data,
        _local(form.starts_at.data),
        _local(form.ends_at.data),
        form.place.data or "",
        form.online_url.data or "",
        form.agenda.data or "",
        audience,
        form.draft.data == "1",
        form.lecturer.data,
        form.group.data,
        bool(form.is_open.data),
    )


def _local(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=LOCAL_TZ) if value is not None else None


class GroupForm(PageForm):
    name = StringField(_l("党小组名称"), validators=[DataRequired(_l("请填写党小组名称")), Length(max=60)])
