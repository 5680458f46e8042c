"""``app/api/records.py``: my training record and xAPI statements."""

from app.api.spec.common import DATETIME, INT, NUM, PAGE, STR, arr, obj, op, per_page, query

TAG = "学习档案"

OPERATIONS = {
    "api.my_record": op(
        "我的学时：某年合计、目标、按来源、历年",
        tag=TAG,
        params=(query("year", INT, "年份，默认今年"),),
        data=obj(
            year=INT,
            hours=NUM,
            target=NUM,
            by_source={"type": "object", "additionalProperties": NUM},
            years={"type": "object", "additionalProperties": NUM},
        ),
    ),
    "api.xapi_statements": op(
        "管理范围内成员的 xAPI 语句，新的在前（组织员、管理员）",
        tag=TAG,
        params=(
            PAGE,
            per_page(100, 500),
            query("since", {"type": "string", "format": "date-time"}, "只要此时刻之后的（须带时区）"),
        ),
        data=obj(
            total=INT,
            page=INT,
            statements=arr(
                obj(
                    optional=("result",),
                    id=STR,
                    actor={"type": "object"},
                    verb=obj(id=STR, display={"type": "object"}),
                    object={"type": "object"},
                    timestamp=DATETIME,
                    result={"type": "object"},
                )
            ),
        ),
    ),
}
