"""``app/api/progress.py``: the player's heartbeats and the presence check (防挂机)."""

from app.api.spec.common import BOOL, DATETIME, INT, NUM, STR, URL, null, obj, op

TAG = "学习进度"

CHECK = null(obj(id=STR, image_url=URL, answer_url=URL, expires_at=DATETIME, digits=INT))

OPERATIONS = {
    "api.post_progress": op(
        "播放心跳：记录观看区间，返回进度与学时",
        tag=TAG,
        body={
            "type": "object",
            "description": "见 app/records/services：session、seq、position、rate、playing 等",
        },
        data=obj(
            optional=("presence_stopped", "presence_check"),
            covered_seconds=NUM,
            covered_ratio=NUM,
            completed=BOOL,
            credited_hours={"type": ["number", "string", "null"]},
            active=BOOL,
            last_position=NUM,
            presence_stopped=BOOL,
            presence_check=CHECK,
        ),
        errors=(404, 409, 422, 429),
    ),
    "api.presence_image": op(
        "在线确认的数字图片",
        tag=TAG,
        content={"image/png": {"schema": {"type": "string", "contentMediaType": "image/png"}}},
        errors=(404,),
    ),
    "api.presence_answer": op(
        "回答在线确认",
        tag=TAG,
        body=obj(code=STR),
        data=obj(passed=BOOL, message={"type": ["string", "null"]}, presence_check=CHECK),
        errors=(404, 409, 422),
    ),
}
