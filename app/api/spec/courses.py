"""``app/api/courses.py``: the catalog, a course, enrolment and a lesson with its playback URLs."""

from app.api.spec.common import (
    BOOL,
    DATETIME,
    DECIMAL,
    INT,
    NUM,
    PAGE,
    STR,
    URL,
    arr,
    enum,
    null,
    obj,
    op,
    per_page,
    query,
)

TAG = "课程"

PROGRESS = null(obj(covered_ratio=NUM, completed=BOOL, last_position=NUM, updated_at=null(DATETIME)))

COURSE = obj(
    id=INT,
    title=STR,
    category=null(STR),
    category_label=null(STR),
    tags=arr(STR),
    kind=STR,
    status=enum("draft", "published", "archived"),
    required=BOOL,
    credit_hours=DECIMAL,
    cover_url=null(URL),
    trainers=arr(STR),
    published_at=null(DATETIME),
    learners=null(INT),
)

LESSON_ROW = obj(
    id=INT,
    kind=STR,
    title=STR,
    duration=NUM,
    credit_hours=null(DECIMAL),
    ready=BOOL,
    progress=PROGRESS,
)

COURSE_DETAIL = {
    "allOf": [
        COURSE,
        obj(
            summary_html=STR,
            enrolled=BOOL,
            completed=BOOL,
            progress_percent=NUM,
            chapters=arr(obj(id=INT, title=STR, lessons=arr(LESSON_ROW))),
        ),
    ]
}

PLAYBACK = null(
    obj(
        hls=null(URL),
        mp4=null(URL),
        poster=null(URL),
        audio_only=BOOL,
        expires_at=DATETIME,
    )
)
PLAYBACK["description"] = (
    "签名播放地址：不需要 Cookie 或请求头，只对本人、本媒体的当前版本有效，到 expires_at 失效（403）；"
    "主播放列表里的相对地址自动带上同一签名。"
)

OPERATIONS = {
    "api.list_courses": op(
        "课程目录",
        tag=TAG,
        params=(
            PAGE,
            per_page(20, 100),
            query("q", STR, "标题关键词"),
            query("category", STR, "分类"),
            query("tag", STR, "标签"),
            query("kind", STR, "课程类型"),
            query("required", STR, "1：只看必修"),
            query("sort", STR, "排序：newest（默认）等"),
        ),
        data=obj(total=INT, page=INT, pages=INT, courses=arr(COURSE)),
    ),
    "api.get_course": op("一门课程：大纲与我的进度", tag=TAG, data=COURSE_DETAIL, errors=(404,)),
    "api.enrol_course": op(
        "加入课程（已加入时回答 200）",
        tag=TAG,
        status=201,
        also=(200,),
        data=obj(course_id=INT, enrolled=BOOL, enrolled_at=null(DATETIME)),
        errors=(404, 409),
    ),
    "api.get_lesson": op(
        "一个课时：内容、进度与签名播放地址",
        tag=TAG,
        description="只对可以学习该课时的成员（已加入课程）和课程讲师开放；失去权限后不再发放新的播放地址。",
        data=obj(
            id=INT,
            course_id=INT,
            chapter_id=INT,
            kind=STR,
            title=STR,
            duration=NUM,
            ready=BOOL,
            completion_threshold=NUM,
            credit_hours=null(DECIMAL),
            gating_quiz_id=null(INT),
            body_html=STR,
            document_url=null(URL),
            playback=PLAYBACK,
            progress=PROGRESS,
            progress_url=URL,
            previous_id=null(INT),
            next_id=null(INT),
        ),
        errors=(404,),
    ),
}
