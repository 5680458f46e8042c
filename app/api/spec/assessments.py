"""``app/api/assessments.py``: 党建考核 schemes and scores (copy to app/api/spec/assessments.py at merge)."""

from app.api.spec.common import INT, NUM, STR, arr, null, obj, op, query

TAG = "党建考核"

SCHEME = obj(id=INT, name=STR, year=INT, half=null(INT), status=STR, max_points=NUM, rollup=STR)
INDICATOR = obj(id=INT, section=STR, name=STR, kind=STR, formula=STR, weight=NUM)
LINE = obj(
    indicator_id=INT,
    value=null(NUM),
    inputs={"type": "object"},
    points=NUM,
    adjustment=NUM,
    final_points=NUM,
    note=STR,
    evidence=arr(obj(name=STR, url=STR)),
)

OPERATIONS = {
    "api.assessments": op(
        "我可查看的考核方案（党员：已发布的；组织员：进行中、已冻结、已发布的；管理员：全部）",
        tag=TAG,
        data=arr(SCHEME),
    ),
    "api.assessment_scores": op(
        "考核得分：管理范围（或 branch_id 指定的组织及其下级）内每个组织的得分；"
        "指标（含计算公式）列出一次；党支部含各指标的数值、分值和佐证材料链接（按 indicator_id 对应），"
        "党总支、党委为所属党支部按党员人数加权的平均分",
        tag=TAG,
        params=(query("branch_id", INT, "只看这个组织及其下级（须在管理范围内）"),),
        data=obj(
            scheme=SCHEME,
            indicators=arr(INDICATOR),
            branches=arr(obj(id=INT, name=STR, kind=STR, members=INT, total=NUM, indicators=arr(LINE))),
        ),
        errors=(404,),
    ),
}
