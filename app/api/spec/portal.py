"""``app/api/notices.py``: notices (党务公开) and my notifications."""

from app.api.spec.common import (
    BOOL,
    BRANCH_REF,
    DATETIME,
    INT,
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

TAG = "公开与通知"

NOTICE = obj(
    id=INT,
    kind=STR,
    title=STR,
    branch=null(BRANCH_REF),
    requires_receipt=BOOL,
    published_at=null(DATETIME),
    starts_at=null(DATETIME),
    location=null(STR),
    url=URL,
)

OPERATIONS = {
    "api.list_notices": op(
        "发给我的公开",
        tag=TAG,
        params=(PAGE, per_page(20, 100), query("kind", STR, "类别")),
        data=obj(total=INT, page=INT, pages=INT, notices=arr(NOTICE)),
        errors=(422,),
    ),
    "api.get_notice": op(
        "一条公开（不在受众内与不存在一样是 404）",
        tag=TAG,
        data={"allOf": [NOTICE, obj(body=STR, has_read=BOOL)]},
        errors=(404,),
    ),
    "api.confirm_notice": op(
        "回执：确认已读", tag=TAG, data=obj(id=INT, has_read={"const": True}), errors=(404,)
    ),
    "api.list_notifications": op(
        "我的通知",
        tag=TAG,
        params=(PAGE, per_page(20, 100), query("unread", enum("1", "true", "0", "false"), "1：只看未读")),
        data=obj(
            unread=INT,
            total=INT,
            page=INT,
            pages=INT,
            notifications=arr(
                obj(
                    id=INT,
                    kind=STR,
                    title=STR,
                    body=null(STR),
                    url=null(URL),
                    created_at=DATETIME,
                    read_at=null(DATETIME),
                )
            ),
        ),
    ),
    "api.read_all_notifications": op("全部标为已读", tag=TAG, data=obj(marked=INT)),
}
