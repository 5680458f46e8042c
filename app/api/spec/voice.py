"""``app/api/suggestions.py`` and ``app/api/surveys.py``: suggestions and surveys (党员心声)."""

from app.api.spec.common import ANY_OBJ, BOOL, BRANCH_REF, DATETIME, INT, STR, URL, arr, null, obj, op

TAG = "党员心声"

SUGGESTION = obj(
    id=INT,
    title=STR,
    body=STR,
    status=STR,
    status_label=STR,
    to=STR,
    branch=BRANCH_REF,
    author=null(STR),
    is_anonymous=BOOL,
    is_public=BOOL,
    reply=null(STR),
    replied_at=null(DATETIME),
    reject_reason=null(STR),
    rating=null(INT),
    created_at=DATETIME,
    url=URL,
)

SURVEY = obj(
    id=INT,
    title=STR,
    description=null(STR),
    is_anonymous=BOOL,
    opens_at=DATETIME,
    closes_at=DATETIME,
    has_answered=BOOL,
    url=URL,
)

QUESTION = obj(
    id=INT,
    position=INT,
    section=null(STR),
    kind=STR,
    text=STR,
    options={"type": ["array", "null"]},
    rows={"type": ["array", "null"]},
    is_required=BOOL,
)

OPERATIONS = {
    "api.submit_suggestion": op(
        "提交意见建议",
        tag=TAG,
        status=201,
        body=obj(
            optional=("anonymous", "public"),
            title=STR,
            body=STR,
            to={"type": ["string", "integer"], "description": "branch、committee 或部门编号"},
            anonymous=BOOL,
            public=BOOL,
        ),
        data=SUGGESTION,
        errors=(404, 422, 429),
    ),
    "api.get_suggestion": op("一条意见建议（我能看到的）", tag=TAG, data=SUGGESTION, errors=(404,)),
    "api.list_surveys": op("问我的、正在进行的调查", tag=TAG, data=obj(surveys=arr(SURVEY))),
    "api.get_survey": op(
        "一份调查与它的题目",
        tag=TAG,
        data={"allOf": [SURVEY, obj(questions=arr(QUESTION))]},
        errors=(404,),
    ),
    "api.answer_survey": op(
        "回答调查（每人一次）",
        tag=TAG,
        status=201,
        body=obj(answers={**ANY_OBJ, "description": "题目编号 → 答案"}),
        data=obj(survey_id=INT, has_answered={"const": True}),
        errors=(404, 409, 422),
    ),
}
