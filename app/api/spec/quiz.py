"""``app/api/quiz.py``: the daily quiz, challenges, contests, exam papers and duels."""

from app.api.spec.common import ANY_OBJ, BOOL, DATETIME, INT, NUM, STR, arr, null, obj, op, query

TAG = "答题"

ATTEMPT = {
    **obj(attempt_id=INT, kind=STR, questions=arr(ANY_OBJ), results=arr(ANY_OBJ)),
    "description": "已出的题（不含答案）与已答题目的结果，以及进度（剩余时间、得分等）",
}
ANSWER = {
    **obj(
        question_id={"type": ["integer", "string"]},
        answer={"description": "选项键、键的列表、true/false 或文字"},
    ),
    "description": '{"question_id": …, "answer": …}',
}
RESULT = {**ANY_OBJ, "description": "这道题是否答对、正确答案与解析，以及答题进度"}
DUEL = {**obj(duel_id=INT, status=STR), "description": "对战房间的状态：成员、题目、比分"}
ROOM = obj(
    optional=("capacity", "invite"),
    capacity={"enum": [2, 4, "2", "4"], "default": 2},
    invite={"type": "string", "description": "邀请对象的工号"},
)

EXAM_EVENT = obj(
    optional=("client_time",),
    kind={"enum": ["blur", "hidden", "copy", "paste", "fullscreen_exit"]},
    client_time={
        "type": ["number", "null"],
        "description": "浏览器的毫秒时间戳（仅供参考，以服务器时间为准）",
    },
)

OPERATIONS = {
    "api.report_exam_event": op(
        "考试中报告离开页面、复制粘贴或退出全屏；回答服务器记下的切换次数",
        tag=TAG,
        body=EXAM_EVENT,
        data=obj(switch_count=INT, switch_limit=INT, counted=BOOL, stored=BOOL, submitted=BOOL),
        errors=(404, 409, 422, 429),
    ),
    "api.start_daily_quiz": op("开始（或继续）今日答题", tag=TAG, data=ATTEMPT, errors=(409, 422)),
    "api.answer_daily_quiz": op(
        "回答今日答题的一道题", tag=TAG, body=ANSWER, data=RESULT, errors=(404, 409, 422)
    ),
    "api.start_challenge": op("开始挑战答题", tag=TAG, data=ATTEMPT, errors=(409, 422)),
    "api.get_attempt": op("一次答题的状态", tag=TAG, data=ATTEMPT, errors=(404,)),
    "api.answer_attempt": op(
        "回答一道题（每日、挑战、竞赛）", tag=TAG, body=ANSWER, data=RESULT, errors=(404, 409, 422)
    ),
    "api.list_contests": op(
        "我能参加的、未结束的竞赛",
        tag=TAG,
        data=arr(
            obj(
                id=INT,
                title=STR,
                opens_at=DATETIME,
                closes_at=DATETIME,
                question_count=INT,
                time_limit_seconds=null(INT),
                is_open=BOOL,
            )
        ),
    ),
    "api.start_contest": op("参加竞赛", tag=TAG, data=ATTEMPT, errors=(404, 409, 422)),
    "api.contest_ranking": op(
        "竞赛排名（结束后公布）",
        tag=TAG,
        params=(query("limit", {"type": "integer", "minimum": 1, "default": 50}, "最多 200"),),
        data=obj(
            ranking=arr(obj(rank=INT, name=STR, branch=STR, score=INT, seconds=NUM)),
            branches=arr(ANY_OBJ),
        ),
        errors=(404, 409),
    ),
    "api.save_quiz_answers": op(
        "保存试卷答案（可多次，交卷在网页上）",
        tag=TAG,
        body=obj(answers={**ANY_OBJ, "description": "题目编号 → 答案"}),
        data=obj(saved=INT, seconds_left=null(NUM)),
        errors=(404, 409, 422),
    ),
    "api.match_duel": op(
        "随机匹配对战", tag=TAG, body=ROOM, body_required=False, data=DUEL, errors=(409, 422)
    ),
    "api.create_duel": op(
        "创建对战房间（可邀请）", tag=TAG, body=ROOM, body_required=False, data=DUEL, errors=(409, 422)
    ),
    "api.join_duel": op("凭房间码加入对战", tag=TAG, data=DUEL, errors=(404, 409, 422)),
    "api.poll_duel": op("对战状态（轮询）", tag=TAG, data=DUEL, errors=(404, 409)),
    "api.answer_duel": op("对战中回答一道题", tag=TAG, body=ANSWER, data=RESULT, errors=(404, 409, 422)),
    "api.leave_duel": op("离开对战", tag=TAG, data=DUEL, errors=(404, 409)),
}
