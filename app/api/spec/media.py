"""``app/api/media.py``: uploading a whole media file in one multipart request."""

from app.api.spec.common import INT, STR, obj, op

OPERATIONS = {
    "api.create_media": {
        **op(
            "上传音视频（讲师、管理员）",
            tag="媒体",
            status=201,
            data=obj(id=INT, status=STR),
            errors=(411, 413, 422, 503),
            description="multipart/form-data：file 为文件，filename 可选；收到后排队转码。",
        ),
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": obj(
                        optional=("filename",),
                        file={"type": "string", "contentMediaType": "application/octet-stream"},
                        filename=STR,
                    )
                }
            },
        },
    },
}
