"""``app/branchlife/api.py``: organisation life (三会一课) — meetings, check-in, leave, minutes."""

from app.api.spec.common import ANY_OBJ, BOOL, DATE, DATETIME, ID, INT, STR, arr, null, obj, op, query

TAG = "组织生活"

MEETING = obj(
    id=INT,
    branch_id=INT,
    kind=STR,
    topic=STR,
    status=STR,
    starts_at=null(DATETIME),
    ends_at=null(DATETIME),
    held_on=DATE,
    place=null(STR),
    online_url=null(STR),
    attendees={"type": "integer", "description": "出席人数"},
    minutes=null(STR),
    group_id=null(INT),
    lecturer_id=null(INT),
    lecturer_is_secretary={"type": ["boolean", "null"]},
)

ATTENDANCE = obj(meeting_id=INT, member_id=INT, state=STR, method=null(STR), checked_in_at=null(DATETIME))

ATTENDEES = {
    "description": '"branch"（全支部）、{"group": 党小组 id} 或成员 id 列表',
    "anyOf": [{"const": "branch"}, obj(group=ID), arr(ID, maxItems=5000)],
}

OPERATIONS = {
    "branchlife_api.create_meeting": op(
        "安排一次会议或党课",
        tag=TAG,
        status=201,
        body=obj(
            optional=("place", "online_url", "agenda", "attendees", "draft", "lecturer_id"),
            branch_id=ID,
            kind=STR,
            topic=STR,
            starts_at=DATETIME,
            ends_at=DATETIME,
            place=STR,
            online_url=STR,
            agenda=STR,
            attendees=ATTENDEES,
            draft=BOOL,
            lecturer_id=null(ID),
        ),
        data=MEETING,
        errors=(404, 409, 422),
    ),
    "branchlife_api.get_meeting": op("一次会议", tag=TAG, data=MEETING, errors=(404,)),
    "branchlife_api.checkin_code": op(
        "当前签到码（组织者；会议不在签到时段时 422）",
        tag=TAG,
        data=obj(code=STR, expires_at=DATETIME),
        errors=(404, 409, 422),
    ),
    "branchlife_api.checkin": op(
        "签到",
        tag=TAG,
        body=obj(optional=("code", "online"), code=STR, online=BOOL),
        data=ATTENDANCE,
        errors=(404, 409, 422, 429),
    ),
    "branchlife_api.leave": op(
        "请假", tag=TAG, body=obj(reason=STR), data=ATTENDANCE, errors=(404, 409, 422)
    ),
    "branchlife_api.finalize": op(
        "定稿：会议记录与主讲人",
        tag=TAG,
        body=obj(optional=("lecturer_id",), minutes=STR, lecturer_id=null(ID)),
        data=MEETING,
        errors=(404, 409, 422),
    ),
    "branchlife_api.compliance": op(
        "一个组织的“三会一课”达标情况",
        tag=TAG,
        params=(query("year", INT, "年份，默认今年"),),
        data=ANY_OBJ,
        errors=(404,),
    ),
}
