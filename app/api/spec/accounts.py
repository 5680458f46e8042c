"""``app/api/accounts.py`` and ``app/api/org.py``: people and the organisation tree."""

from app.api.spec.common import BRANCH_REF, DATE, INT, PAGE, STR, arr, null, obj, op, per_page

TAG = "人员与组织"

USER = obj(
    id=INT,
    employee_no=null(STR),
    name=STR,
    gender=null(STR),
    mobile=null(STR),
    branch=null(BRANCH_REF),
    category=null(STR),
    joined_party_on=null(DATE),
    position=null(STR),
    roles=arr(STR),
)

OPERATIONS = {
    "api.me": op("我自己", tag=TAG, data=USER),
    "api.get_user": op("一名成员（在我的管理范围内）", tag=TAG, data=USER, errors=(404,)),
    "api.list_branches": op(
        "我能管理的组织（组织员、管理员）",
        tag=TAG,
        data=arr(obj(id=INT, name=STR, kind=STR, parent_id=null(INT), depth=INT)),
    ),
    "api.list_branch_members": op(
        "一个组织（含下级）的成员",
        tag=TAG,
        params=(PAGE, per_page(50, 200)),
        data=obj(total=INT, page=INT, pages=INT, members=arr(USER)),
        errors=(404,),
    ),
}
