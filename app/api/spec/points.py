"""``app/api/points.py``: my points and the leaderboard."""

from app.api.spec.common import DATETIME, INT, STR, arr, enum, null, obj, op, query

TAG = "积分"

ENTRY = obj(
    id=INT, action=STR, action_label=STR, ref=null(STR), points=INT, note=null(STR), created_at=DATETIME
)

OPERATIONS = {
    "api.my_points": op(
        "我的积分：总分、今日各项（含上限）、最近记录",
        tag=TAG,
        data=obj(
            total=INT,
            today={"type": "object", "additionalProperties": obj(points=INT, label=STR)},
            today_total=INT,
            recent=arr(ENTRY),
        ),
    ),
    "api.leaderboard": op(
        "排行榜（按支部；开启时可按个人）",
        tag=TAG,
        params=(query("kind", enum("branch", "personal"), "branch（默认）或 personal"),),
        data=arr({"type": "object", "properties": {"rank": INT, "name": STR, "points": INT}}),
        errors=(404,),
    ),
}
