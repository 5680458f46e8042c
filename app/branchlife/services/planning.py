"""Recording, planning, publishing and reminding meetings."""

# Services alike in shape to other domains' (load, check the rule, change, flush, audit, notify),
# kept apart: each checks its own rules and says so in its own words.

import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from app.accounts.models import BranchPosition, User
from app.branchlife import kinds
from app.branchlife.models import Attendance, Meeting
from app.branchlife.services.access import BranchLifeError
from app.branchlife.services.groups import group_of_branch, member_ids_of
from app.core import audit
from app.core.clock import LOCAL_TZ, utcnow
from app.core.signals import notification_requested
from app.core.transactions import insert_in_savepoint
from app.extensions import db
from app.org.models import Branch
from app.records import services as records

MAX_MINUTES = 8 * 60
TITLE_MAX = 120


@dataclass
class MeetingData:
    """A meeting recorded after the fact, with the members who were there."""

    kind: str
    title: str
    held_on: date | None
    minutes: int | None
    member_ids: list[int] = field(default_factory=list)
    #: Who gave it, for a 党课.
    lecturer_id: int | None = None


@dataclass
class MeetingPlan:
    kind: str
    title: str
    starts_at: datetime | None
    ends_at: datetime | None
    place: str = ""
    online_url: str = ""
    agenda: str = ""
    #: "branch" (every active member of the branch), "group" (the 党小组 ``group_id``) or the chosen
    #: members' ids.
    attendees: str | list[int] = "branch"
    draft: bool = False
    #: Who gives it, for a 党课 (a member of the branch's subtree).
    lecturer_id: int | None = None
    #: The 党小组 expected, when ``attendees`` is "group".
    group_id: int | None = None
    #: Open to every member (shown on the red map).
    is_open: bool = False


def _check_kind_and_title(kind: str, title: str) -> str:
    if kind not in kinds.KINDS:
        raise BranchLifeError(_("请选择会议类型"), 422, "kind")
    title = (title or "").strip()
    if not title:
        raise BranchLifeError(_("请填写会议主题"), 422, "title")
    if len(title) > TITLE_MAX:
        raise BranchLifeError(_("会议主题不能超过 %(max)s 个字", max=TITLE_MAX), 422, "title")
    return title


def _members_of(branch: Branch, member_ids: list[int] | None) -> list[int]:
    """Active members of ``branch``'s subtree: all of them, or those of ``member_ids`` (all must be)."""
    query = (
        sa.select(User.id)
        .join(Branch, Branch.id == User.branch_id)
        .where(User.is_active_account.is_(True), Branch.subtree_filter(branch.path))
    )
    if member_ids is None:
        return list(db.session.scalars(query.order_by(User.id)))
    wanted = sorted(set(member_ids))
    found = list(db.session.scalars(query.where(User.id.in_(wanted)).order_by(User.id))) if wanted else []
    if len(found) != len(wanted):
        raise BranchLifeError(
            _(
                "有 %(number)s 名所选成员不属于「%(name)s」",
                number=len(wanted) - len(found),
                name=branch.name,
            ),
            422,
            "members",
        )
    return found


def set_lecturer(meeting: Meeting, branch: Branch, lecturer_id: int | None) -> None:
    """Record who gives a 党课 (other kinds have none) and whether they are the branch's 书记 now —
    what the compliance rule "the 书记 gives at least one 党课 a year" counts."""
    if meeting.kind != "lecture":
        meeting.lecturer_id, meeting.lecturer_is_secretary = None, False
        return
    if not lecturer_id:
        return
    try:
        _members_of(branch, [lecturer_id])
    except BranchLifeError as exc:
        raise BranchLifeError(_("讲党课的人须是本组织的成员"), 422, "lecturer") from exc
    lecturer = db.session.get(User, lecturer_id)
    meeting.lecturer_id = lecturer.id
    meeting.lecturer_is_secretary = (
        lecturer.branch_id == branch.id and lecturer.position == BranchPosition.SECRETARY
    )


def _insert(meeting: Meeting) -> None:
    if not insert_in_savepoint(meeting):
        raise BranchLifeError(
            _(
                "「%(name)s」%(held_on)s 的%(kind)s「%(title)s」已经记录过",
                name=meeting.branch_name,
                held_on=meeting.held_on,
                kind=kinds.label(meeting.kind),
                title=meeting.title,
            ),
            409,
        )


def meeting_label(meeting: Meeting) -> str:
    return f"{kinds.label(meeting.kind)}：{meeting.title}"


def credit_for(meeting: Meeting) -> records.MeetingCredit:
    return records.MeetingCredit(
        f"meeting:{meeting.id}",
        meeting_label(meeting),
        meeting.held_on,
        meeting.minutes,
        kinds.minutes_per_unit(meeting.kind),
    )


def record_meeting(actor: User, branch: Branch, data: MeetingData) -> Meeting:
    """Record a meeting held already, with the members present, and credit each of them; the meeting
    is finalised at once. The caller has checked that ``actor`` may run ``branch``'s meetings."""
    title = _check_kind_and_title(data.kind, data.title)
    if data.held_on is None:
        raise BranchLifeError(_("请填写会议日期"), 422, "held_on")
    try:
        records.check_day(data.held_on, "held_on")
    except records.RecordsError as exc:
        raise BranchLifeError(exc.message, exc.status, exc.field) from exc
    if data.minutes is None or not 1 <= data.minutes <= MAX_MINUTES:
        raise BranchLifeError(_("会议时长须在 1–%(max)s 分钟之间", max=MAX_MINUTES), 422, "minutes")
    if not data.member_ids:
        raise BranchLifeError(_("请至少选择一名出席成员"), 422, "members")
    present = _members_of(branch, data.member_ids)
    now = utcnow()
    meeting = Meeting(
        branch_id=branch.id,
        branch_name=branch.name,
        kind=data.kind,
        title=title,
        held_on=data.held_on,
        minutes=data.minutes,
        attendees=len(present),
        recorded_by_id=actor.id,
        status="finalised",
        finalised_at=now,
        finalised_by_id=actor.id,
    )
    set_lecturer(meeting, branch, data.lecturer_id)
    _insert(meeting)
    db.session.add_all(
        Attendance(meeting_id=meeting.id, user_id=i, state="present", method="recorded") for i in present
    )
    try:
        records.credit_meeting(present, credit_for(meeting), actor)
    except records.RecordsError as exc:  # the recorder among those present, or a day over full
        raise BranchLifeError(exc.message, exc.status, exc.field) from exc
    audit.record(
        actor,
        "hours.meeting",
        meeting,
        f"记录「{branch.name}」{meeting_label(meeting)}（{data.held_on}，{data.minutes} 分钟），"
        f"{len(present)} 人出席",
    )
    return meeting


def _check_times(plan: MeetingPlan) -> int:
    if plan.starts_at is None or plan.ends_at is None:
        raise BranchLifeError(_("请填写会议的开始和结束时间"), 422, "starts_at")
    if plan.starts_at.tzinfo is None or plan.ends_at.tzinfo is None:
        raise BranchLifeError(_("会议时间须带时区"), 422, "starts_at")
    if plan.starts_at <= utcnow():
        raise BranchLifeError(_("会议开始时间须晚于现在"), 422, "starts_at")
    minutes = int((plan.ends_at - plan.starts_at).total_seconds() // 60)
    if not 1 <= minutes <= MAX_MINUTES:
        raise BranchLifeError(_("会议时长须在 1–%(max)s 分钟之间", max=MAX_MINUTES), 422, "ends_at")
    if plan.starts_at.year > utcnow().year + 1:
        raise BranchLifeError(_("只能安排今明两年的会议"), 422, "starts_at")
    return minutes


def _check_place(plan: MeetingPlan) -> None:
    if len(plan.place or "") > 200:
        raise BranchLifeError(_("地点不能超过 200 个字"), 422, "place")
    url = (plan.online_url or "").strip()
    if url and (len(url) > 500 or not url.startswith(("https://", "http://"))):
        raise BranchLifeError(_("线上会议链接须以 https:// 开头"), 422, "online_url")
    if not (plan.place or "").strip() and not url:
        raise BranchLifeError(_("请填写会议地点或线上会议链接"), 422, "place")
    if len(plan.agenda or "") > 5000:
        raise BranchLifeError(_("议程不能超过 5000 个字"), 422, "agenda")


def plan_meeting(actor: User, branch: Branch, plan: MeetingPlan) -> Meeting:
    """Plan a meeting of ``branch`` (published at once unless ``plan.draft``); the caller has checked
    that ``actor`` may plan for ``branch``."""
    title = _check_kind_and_title(plan.kind, plan.title)
    minutes = _check_times(plan)
    _check_place(plan)
    group = None
    if plan.attendees == "group":
        group = group_of_branch(branch, plan.group_id)
        chosen = member_ids_of(group)
        if not chosen:
            raise BranchLifeError(_("党小组「%(name)s」还没有成员", name=group.name), 422, "group")
    else:
        chosen = None if plan.attendees == "branch" else list(plan.attendees or [])
    if chosen is not None and not chosen:
        raise BranchLifeError(_("请至少选择一名参会人员"), 422, "attendees")
    expected = _members_of(branch, chosen)
    if not expected:
        raise BranchLifeError(_("「%(name)s」还没有成员", name=branch.name), 422, "attendees")
    meeting = Meeting(
        branch_id=branch.id,
        branch_name=branch.name,
        kind=plan.kind,
        title=title,
        held_on=plan.starts_at.astimezone(LOCAL_TZ).date(),
        minutes=minutes,
        recorded_by_id=actor.id,
        status="draft",
        starts_at=plan.starts_at,
        ends_at=plan.ends_at,
        place=(plan.place or "").strip(),
        online_url=(plan.online_url or "").strip(),
        agenda=(plan.agenda or "").strip(),
        audience="group" if group is not None else "branch" if chosen is None else "chosen",
        group_id=group.id if group is not None else None,
        checkin_key=secrets.token_hex(16),
        is_open=plan.is_open,
    )
    set_lecturer(meeting, branch, plan.lecturer_id)
    _insert(meeting)
    db.session.add_all(Attendance(meeting_id=meeting.id, user_id=i) for i in expected)
    db.session.flush()
    audit.record(actor, "branchlife.plan", meeting, f"安排「{branch.name}」{meeting_label(meeting)}")
    if not plan.draft:
        publish_meeting(actor, meeting)
    return meeting


def _expected_ids(meeting: Meeting) -> list[int]:
    return list(db.session.scalars(sa.select(Attendance.user_id).where(Attendance.meeting_id == meeting.id)))


def _when(meeting: Meeting) -> str:
    return meeting.starts_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M") if meeting.starts_at else ""


def publish_meeting(actor: User, meeting: Meeting) -> Meeting:
    """Publish a draft: its attendees are notified. Publishing twice is a no-op."""
    if meeting.status != "draft":
        return meeting
    meeting.status = "published"
    db.session.flush()
    notification_requested.send(
        "branchlife",
        user_ids=_expected_ids(meeting),
        title=_("会议通知：%(label)s", label=meeting_label(meeting)),
        body=f"{_when(meeting)} {meeting.place or meeting.online_url}",
        url=f"/branchlife/meetings/{meeting.id}",
        kind="branchlife.notice",
    )
    audit.record(actor, "branchlife.publish", meeting, f"发布{meeting_label(meeting)}")
    return meeting


def remind_tomorrow() -> int:
    """Remind the attendees of published meetings starting tomorrow (local day), once per meeting.
    Returns how many meetings were reminded; the caller commits."""
    tomorrow = utcnow().astimezone(LOCAL_TZ).date() + timedelta(days=1)
    due = db.session.scalars(
        sa.select(Meeting)
        .where(Meeting.status == "published", Meeting.held_on == tomorrow, Meeting.reminded_at.is_(None))
        .with_for_update(skip_locked=True, of=Meeting)
    ).all()
    for meeting in due:
        waiting = db.session.scalars(
            sa.select(Attendance.user_id).where(
                Attendance.meeting_id == meeting.id, Attendance.state != "leave_approved"
            )
        ).all()
        notification_requested.send(
            "branchlife",
            user_ids=list(waiting),
            title=_("明天开会：%(label)s", label=meeting_label(meeting)),
            body=f"{_when(meeting)} {meeting.place or meeting.online_url}",
            url=f"/branchlife/meetings/{meeting.id}",
            kind="branchlife.reminder",
        )
        meeting.reminded_at = utcnow()
    db.session.flush()
    return len(due)


def meetings_query(prefix: str | None, branch_ids: list[int] | None = None):
    """Meetings of the branches under ``prefix`` (a coordinator's scope) or of ``branch_ids``, newest
    first."""
    query = sa.select(Meeting).outerjoin(Branch, Branch.id == Meeting.branch_id)
    conditions = []
    if prefix is not None:
        conditions.append(Branch.subtree_filter(prefix) if prefix else sa.true())
    if branch_ids:
        conditions.append(Meeting.branch_id.in_(branch_ids))
    query = query.where(sa.or_(*conditions)) if conditions else query.where(sa.false())
    return query.order_by(Meeting.held_on.desc(), Meeting.id.desc())


def upcoming_for(user: User, limit: int = 5) -> list[tuple[Meeting, Attendance]]:
    """Published meetings ``user`` is expected at that have not ended yet, soonest first."""
    return list(
        db.session.execute(
            sa.select(Meeting, Attendance)
            .join(Attendance, Attendance.meeting_id == Meeting.id)
            .where(
                Attendance.user_id == user.id,
                Meeting.status == "published",
                Meeting.ends_at >= utcnow(),
            )
            .order_by(Meeting.starts_at)
            .limit(limit)
        ).tuples()
    )


def attendance_rows(meeting: Meeting) -> list[Attendance]:
    return list(
        db.session.scalars(
            sa.select(Attendance)
            .join(User, User.id == Attendance.user_id)
            .where(Attendance.meeting_id == meeting.id)
            .order_by(User.employee_no)
        )
    )
