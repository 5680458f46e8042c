"""Demo organisation life for ``flask seed-demo``: a realistic year in every 党支部 — meetings held
so far this year with minutes and who attended (some on approved leave), a generated photo of each
branch's latest meeting, and one meeting planned for next week with a leave request waiting. Most
branches keep to the rules; every third falls behind (no 支部党员大会 in the second and third
quarters, theme days missed), so the compliance board has something to chase. Recorded the way a
secretary records them (:func:`app.branchlife.services.record_meeting`); idempotent."""

import io
import random
import secrets
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from PIL import Image, ImageDraw

from app.accounts.models import BranchPosition, MemberCategory, Role, User
from app.branchlife.models import Attendance, Meeting, MeetingFile
from app.branchlife.services import MeetingData, MeetingPlan, plan_meeting, record_meeting, request_leave
from app.branchlife.services.evidence import upload_dir
from app.core.clock import LOCAL_TZ, localtoday
from app.extensions import db
from app.org.models import Branch, BranchKind
from app.records.services import CADRE_POSITIONS

#: (kind, topic, minutes, months held in)
MEETINGS = (
    ("group", "学习习近平新时代中国特色社会主义思想", 90, range(1, 13)),
    ("general_assembly", "支部党员大会", 135, (3, 6, 9, 12)),
    ("lecture", "书记讲党课", 135, (2, 5, 8, 11)),
    ("theme_day", "主题党日：志愿服务", 45, range(1, 13)),
    ("committee", "支委会：研究支部工作", 60, range(1, 13)),  # the 支委 only
)
#: What a branch that falls behind leaves out: (kind, months).
SKIPPED_WHEN_BEHIND = {"general_assembly": (6, 9), "theme_day": (4, 5, 7, 8), "committee": (7,)}
PARTY = (MemberCategory.FULL, MemberCategory.PROBATIONARY)


def _members(branch: Branch) -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User)
            .where(
                User.branch_id == branch.id, User.category.in_(PARTY), User.role_rows.any(role=Role.MEMBER)
            )
            .order_by(User.id)
        )
    )


def _photo(meeting: Meeting) -> None:
    image = Image.new("RGB", (960, 640), (178, 34, 34))
    ImageDraw.Draw(image).rectangle((40, 40, 920, 600), outline=(255, 215, 0), width=8)
    folder = upload_dir()
    name = f"{secrets.token_hex(16)}.jpg"
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    (folder / name).write_bytes(buffer.getvalue())
    image.thumbnail((320, 320))
    thumb = name.replace(".jpg", "-t.jpg")
    image.save(folder / thumb, "JPEG", quality=80)
    db.session.add(
        MeetingFile(
            meeting_id=meeting.id,
            kind="photo",
            stored_name=name,
            thumb_name=thumb,
            original_name="会议现场.jpg",
            content_type="image/jpeg",
            size=len(buffer.getvalue()),
        )
    )


def _lecturer(members: list[User], behind: bool) -> int | None:
    """Who gives a 党课: the 书记 — except in a branch that falls behind, where others always do."""
    secretaries = [m.id for m in members if m.position == BranchPosition.SECRETARY]
    others = [m.id for m in members if m.position != BranchPosition.SECRETARY]
    chosen = others if behind else secretaries
    return chosen[0] if chosen else None


def _hold_year(branch: Branch, members: list[User], recorder: User, today: date, done: set) -> list[Meeting]:
    behind = branch.id % 3 == 0
    held_now = []
    for kind, title, minutes, months in MEETINGS:
        for month in months:
            held = date(today.year, month, 20 if kind != "theme_day" else 8)
            if held >= today or (branch.id, kind, held) in done:
                continue
            if behind and month in SKIPPED_WHEN_BEHIND.get(kind, ()):
                continue
            invited = (
                [m for m in members if m.position in CADRE_POSITIONS] if kind == "committee" else members
            )
            rolls = {m.id: random.Random(f"{m.employee_no}{kind}{month}").random() for m in invited}
            present = [m.id for m in invited if rolls[m.id] < random.Random(m.employee_no).uniform(0.4, 1.0)]
            if kind == "committee":
                present = [m.id for m in invited]  # the 支委 keep their own meeting
            if not present:
                continue
            lecturer = _lecturer(members, behind) if kind == "lecture" else None
            meeting = record_meeting(
                recorder, branch, MeetingData(kind, title, held, minutes, present, lecturer)
            )
            meeting.summary = (
                f"{title}。出席 {len(present)} 人。会议传达学习了上级精神，研究部署了下阶段工作。"
            )
            on_leave = [m.id for m in invited if m.id not in present and rolls[m.id] > 0.95]
            db.session.add_all(
                Attendance(meeting_id=meeting.id, user_id=i, state="leave_approved", reason="出差")
                for i in on_leave
            )
            held_now.append(meeting)
    return held_now


def _plan_next_week(branch: Branch, members: list[User], planner: User, today: date) -> bool:
    planned = db.session.scalar(
        sa.select(Meeting.id).where(Meeting.branch_id == branch.id, Meeting.status == "published")
    )
    if planned or not members:
        return False
    day = today + timedelta(days=7 - today.weekday() + 2)  # Wednesday next week
    starts = datetime.combine(day, time(15, 0), LOCAL_TZ)
    meeting = plan_meeting(
        planner,
        branch,
        MeetingPlan(
            "theme_day", "主题党日：重温入党誓词", starts, starts + timedelta(minutes=90), "党员活动室"
        ),
    )
    request_leave(members[-1], meeting, "外出培训，申请请假")
    return True


def seed_demo_hours(today: date | None = None) -> int:
    """Hold this year's meetings so far in each 党支部 and plan next week's; returns how many meetings
    were recorded (the ones planned are not counted)."""
    today = today or localtoday()
    recorder = db.session.scalar(sa.select(User).where(User.employee_no == "admin"))
    done = set(db.session.execute(sa.select(Meeting.branch_id, Meeting.kind, Meeting.held_on)).tuples())
    recorded = 0
    for branch in db.session.scalars(
        sa.select(Branch).where(Branch.kind == BranchKind.BRANCH).order_by(Branch.id)
    ):
        members = _members(branch)
        held = _hold_year(branch, members, recorder, today, done)
        if held:
            _photo(max(held, key=lambda m: (m.held_on, m.id)))
        recorded += len(held)
        _plan_next_week(branch, members, recorder, today)
    db.session.flush()
    from app.branchlife.reviews.demo import seed_demo_reviews  # and a finished 民主评议 per 党支部

    seed_demo_reviews()
    return recorded
