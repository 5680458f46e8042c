"""``app/api/stats.py`` and ``app/api/map.py``: 党务统计 and the 红色地图."""

from app.api.spec.common import DATETIME, INT, NUM, STR, arr, enum, null, obj, op, query

TAG = "统计与地图"

BUCKET = obj(key=STR, label=STR, members=INT)
POINT = obj(
    optional=("description",),
    type=enum("branch", "place"),
    id=INT,
    kind=STR,
    kind_label=STR,
    name=STR,
    address=null(STR),
    lat=NUM,
    lng=NUM,
    contact=null(STR),
    description=null(STR),
)

OPERATIONS = {
    "api.stats_members": op(
        "党员结构：管理范围（或 branch_id 指定的下级组织）内按年龄段、性别、学历、类别、党龄或职务的人数",
        tag=TAG,
        params=(
            query(
                "by", enum("age", "gender", "education", "category", "party_age", "position"), "维度", True
            ),
            query("branch_id", {"type": "integer", "minimum": 1}, "组织（默认管理范围的顶层）"),
        ),
        data=obj(branch_id=null(INT), by=STR, as_of=null(DATETIME), total=INT, buckets=arr(BUCKET)),
        errors=(404, 422),
    ),
    "api.map_places": op(
        "红色地图：范围框内的党组织与活动阵地",
        tag=TAG,
        params=(query("bbox", STR, "west,south,east,north（经纬度，十进制）", True),),
        data=obj(bbox=arr(NUM), branches=arr(POINT), places=arr(POINT), truncated={"type": "boolean"}),
        errors=(422,),
    ),
}
