"""``app/api/works.py``: members' works."""

from app.api.spec.common import ID, INT, STR, URL, enum, null, obj, op

OPERATIONS = {
    "api.submit_work": op(
        "提交作品（文章或视频；图片作品请在网页上传）",
        tag="作品",
        status=201,
        body=obj(
            optional=("body", "media_asset_id"),
            kind=enum("article", "video"),
            title=STR,
            body=STR,
            media_asset_id=null(ID),
        ),
        data=obj(id=INT, kind=STR, title=STR, status=STR, url=URL),
        errors=(404, 422),
    ),
}
