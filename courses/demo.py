"""Demo courses for ``flask seed-demo``: published courses (required and elective, MOOC and flipped)
whose video and audio lessons look and sound like lessons (Chinese slides and a spoken narration,
made at seed time by :mod:`courses.demo_media` and transcoded through the media pipeline), plus
article lessons, a PDF document lesson, class sessions this week and next, and an assignment.
Idempotent: a course whose title exists is left alone.

Each media lesson is kept to its narration (20–40 s, at most ``COURSES_DEMO_MEDIA_SECONDS``), which
keeps seeding quick: transcoding is what costs."""

import logging
import tempfile
from datetime import UTC, timedelta
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from app.accounts.models import User
from app.core.clock import localnow, localtoday
from app.extensions import db
from app.org.models import Branch
from courses import assignments, classes, demo_media, files, services
from courses.models import Course
from media_pipeline import services as media_services
from media_pipeline.models import AssetStatus, MediaAsset

logger = logging.getLogger(__name__)

ARTICLE_REPORT = """## 报告的主题

高举中国特色社会主义伟大旗帜，全面贯彻新时代中国特色社会主义思想，弘扬伟大建党精神，
自信自强、守正创新，踔厉奋发、勇毅前行，为全面建设社会主义现代化国家、全面推进中华民族伟大复兴而团结奋斗。

## 学习要点

1. **过去五年的工作和新时代十年的伟大变革**：三件大事，具有里程碑意义。
2. **中国式现代化**：人口规模巨大、全体人民共同富裕、物质文明和精神文明相协调、
   人与自然和谐共生、走和平发展道路。
3. **全面从严治党**：坚持以党的政治建设为统领，坚决打赢反腐败斗争攻坚战持久战。

## 联系实际

结合本岗位，谈一谈如何把学习成果转化为推动工作的实际行动。
"""

ARTICLE_CHARTER = """## 党章的地位

党章是党的根本大法，是全党必须遵循的总规矩。学习党章、遵守党章、贯彻党章、维护党章，是全党同志的应尽义务和庄严责任。

## 党员的八项义务

党员必须认真学习马克思列宁主义、毛泽东思想、邓小平理论、“三个代表”重要思想、科学发展观和新时代中国特色社会主义思想……

## 党员的八项权利

参加党的有关会议，阅读党的有关文件，接受党的教育和培训……
"""

ARTICLE_HISTORY = """## 红船精神

开天辟地、敢为人先的首创精神，坚定理想、百折不挠的奋斗精神，立党为公、忠诚为民的奉献精神。

1921 年 7 月，中国共产党第一次全国代表大会在上海召开，最后一天的会议转移到浙江嘉兴南湖的一条游船上举行。
"""

ARTICLE_BRANCH = """## 课前阅读：“三会一课”制度

“三会一课”是党的组织生活的基本制度：定期召开支部党员大会、支部委员会和党小组会，按时上好党课。

请阅读后思考：本支部的组织生活还有哪些可以改进的地方？课堂上我们将分组研讨。
"""

#: (title, owner employee no., category, required, kind, 学时, chapters of lessons).
#: A lesson is (title, kind, article text or None): video and audio lessons are made from their
#: slides and narration in ``demo_content/lessons.json``, the document lesson is a PDF made here.
COURSES = [
    (
        "学习贯彻党的二十大精神",
        "T0001",
        "theory",
        True,
        "mooc",
        "2.00",
        [
            (
                "第一讲 导学",
                [("开篇导学", "video", None), ("报告要点解读", "article", ARTICLE_REPORT)],
            ),
            ("第二讲 深入学习", [("中国式现代化的本质要求", "video", None)]),
        ],
    ),
    (
        "中国共产党章程导读",
        "T0002",
        "rules",
        True,
        "mooc",
        "1.50",
        [
            (
                "党章总纲",
                [
                    ("党章学习导读", "article", ARTICLE_CHARTER),
                    ("党员的义务与权利", "video", None),
                    ("党章学习提纲（PDF）", "document", None),
                ],
            )
        ],
    ),
    (
        "党史故事百讲",
        "T0003",
        "history",
        False,
        "mooc",
        "1.00",
        [
            (
                "建党篇",
                [("红船精神（音频）", "audio", None), ("南湖红船的故事", "article", ARTICLE_HISTORY)],
            )
        ],
    ),
    (
        "基层党支部工作实务",
        "T0004",
        "skills",
        False,
        "flipped",
        "1.00",
        [
            (
                "课前学习",
                [
                    ("“三会一课”制度", "article", ARTICLE_BRANCH),
                    ("组织生活会怎么开", "video", None),
                ],
            )
        ],
    ),
]


def _ready_asset(path: Path, owner: User) -> int:
    """Ingest and transcode in this process (like ``flask media ingest`` then ``flask media process``)."""
    asset = media_services.ingest_file(
        path, path.name, owner, owner, move=True, commit=db.session.commit, enqueue=lambda _asset_id: None
    )
    if asset.status != AssetStatus.FAILED:
        media_services.process_asset(
            asset.id, holder=media_services.new_lease_holder("seed"), commit=db.session.commit
        )
    asset = db.session.get(MediaAsset, asset.id, populate_existing=True)
    if asset.status != AssetStatus.READY:
        raise RuntimeError(f"demo media {path.name} did not transcode: {asset.error}")
    return asset.id


def _lesson_files(lesson, kind: str, course: Course, owner: User, admin: User | None, folder: Path) -> int:
    """Give a video, audio or document lesson its file; returns how many media files were made."""
    if kind == "document":
        pdf = demo_media.make_outline_pdf(Path(folder) / "outline.pdf")
        with pdf.open("rb") as stream:
            stored = files.store_upload(
                stream,
                "党章学习提纲.pdf",
                "documents",
                extensions=("pdf",),
                max_bytes=current_app.config["COURSES_DOCUMENT_MAX_BYTES"],
            )
        services.set_lesson_document(lesson, stored, owner)
        return 0
    if kind not in ("video", "audio"):
        return 0
    limit = current_app.config["COURSES_DEMO_MEDIA_SECONDS"]
    media = demo_media.make_lesson_media(
        folder, f"lesson-{lesson.id}", lesson.title, kind, course.title, limit
    )
    asset_id = _ready_asset(media, admin or owner)
    # The demo media belongs to the administrator, which the lesson form would refuse to a
    # trainer: attach it here, as seed data.
    lesson.media_asset_id = asset_id
    lesson.media_duration = db.session.get(MediaAsset, asset_id).duration
    return 1


def seed_demo_courses() -> dict:
    """Create the demo courses that are missing; returns how many courses and media were made."""
    existing = set(db.session.scalars(sa.select(Course.title)))
    users = {u.employee_no: u for u in db.session.scalars(sa.select(User).where(User.employee_no.like("T%")))}
    admin = db.session.scalars(sa.select(User).where(User.employee_no == "admin")).first()
    made = {"courses": 0, "media": 0}
    with tempfile.TemporaryDirectory(prefix="hongke-demo-") as folder:
        for title, owner_no, category, required, kind, hours, chapters in COURSES:
            owner = users.get(owner_no)
            if title in existing or owner is None:
                continue
            course = services.create_course(
                services.CourseData(
                    title=title,
                    summary=f"《{title}》：{'必修' if required else '选修'}课程，演示数据。",
                    category=category,
                    credit_hours=Decimal(hours),
                    kind=kind,
                    is_required=required,
                    tags="演示",
                ),
                owner,
            )
            for chapter_title, lessons in chapters:
                chapter = services.add_chapter(course, chapter_title, owner)
                for lesson_title, lesson_kind, content in lessons:
                    lesson = services.create_lesson(
                        chapter,
                        services.LessonData(title=lesson_title, kind=lesson_kind, body=content or ""),
                        owner,
                    )
                    made["media"] += _lesson_files(lesson, lesson_kind, course, owner, admin, Path(folder))
            services.publish_course(course, owner)
            if course.is_flipped:
                _schedule_sessions(course, owner)
            db.session.flush()
            made["courses"] += 1
            logger.info("demo course %s created", title)
    _assign_required_course()
    return made


def _this_week_slot():
    """Tomorrow at 14:00 (Shanghai) if tomorrow is still this week, else later today."""
    now = localnow()
    slot = (now + timedelta(days=1)).replace(hour=14, minute=0, second=0, microsecond=0)
    if slot.isocalendar().week != now.isocalendar().week:  # Sunday: halfway to midnight
        midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        slot = (now + (midnight - now) / 2).replace(second=0, microsecond=0)
    return slot.astimezone(UTC)


def _schedule_sessions(course: Course, owner: User) -> None:
    """A class session this week and a follow-up the week after, both preparing with every lesson."""
    first = _this_week_slot()
    for title, start in (
        ("第一次课堂研讨", first),
        ("第二次课堂研讨：整改方案交流", first + timedelta(days=7)),
    ):
        classes.create_session(
            course,
            classes.SessionData(
                title=title,
                starts_at=start,
                ends_at=start + timedelta(minutes=90),
                place="党校 301 教室",
                credit_minutes=90,
                homework_prompt="结合本支部实际，写一份改进组织生活的建议（500 字以内）。",
                homework_due_at=start + timedelta(days=7),
                pre_lesson_ids=[lesson.id for lesson in course.lessons()],
            ),
            owner,
        )


def _assign_required_course() -> None:
    """The 机关党总支 coordinator assigns the first required course to their subtree, due in a month."""
    coordinator = db.session.scalars(sa.select(User).where(User.employee_no == "C0001")).first()
    course = db.session.scalars(sa.select(Course).where(Course.title == COURSES[0][0])).first()
    if coordinator is None or course is None or coordinator.branch is None:
        return
    already = db.session.scalars(
        sa.select(assignments.AssignmentCourse).where(assignments.AssignmentCourse.course_id == course.id)
    ).first()
    if already is not None:
        return
    assignments.create_assignment(
        assignments.AssignmentData(
            title="二十大精神专题学习",
            course_ids=[course.id],
            start_on=localtoday(),
            due_on=localtoday() + timedelta(days=30),
            branch_id=db.session.get(Branch, coordinator.branch_id).id,
        ),
        coordinator,
    )
    db.session.flush()
