"""``app/api/members.py``: the member lifecycle — development steps, transfers, QR cards, archives."""

from app.api.spec.common import BOOL, BRANCH_REF, DATE, DATETIME, ID, INT, STR, arr, null, obj, op

TAG = "党员发展与组织关系"

TIMELINE = obj(
    member_id=INT,
    stage=null(STR),
    steps=arr(
        obj(
            key=STR,
            label=STR,
            stage=STR,
            done_on=null(DATE),
            due_on=null(DATE),
            allowed_from=null(DATE),
            overdue=BOOL,
            rule=null(STR),
            responsible=null(STR),
            override_reason=null(STR),
        )
    ),
)

TRANSFER = obj(
    id=INT,
    member_id=INT,
    from_branch_id=null(INT),
    to_branch_id=INT,
    status=STR,
    reason=null(STR),
    sender_approved=BOOL,
    receiver_approved=BOOL,
    reject_reason=null(STR),
)

COUNT = null({"type": "integer", "minimum": 0, "maximum": 100000})

OPERATIONS = {
    "api.member_development": op("发展党员流程时间线", tag=TAG, data=TIMELINE, errors=(404,)),
    "api.record_development_step": op(
        "记录一个发展步骤（违反规则时 422，errors 列出每条规则）",
        tag=TAG,
        status=201,
        body=obj(
            optional=("note", "votes_for", "votes_present", "override_reason", "contacts"),
            key=STR,
            done_on=DATE,
            note=null(STR),
            votes_for=COUNT,
            votes_present=COUNT,
            override_reason=null(STR),
            contacts=arr(ID, maxItems=2),
        ),
        data=obj(key=STR, done_on=DATE, overridden=BOOL),
        errors=(404, 409, 422),
    ),
    "api.create_transfer": op(
        "申请组织关系转接",
        tag=TAG,
        status=201,
        body=obj(optional=("reason",), member_id=ID, to_branch_id=ID, reason=null(STR)),
        data=TRANSFER,
        errors=(404, 409, 422),
    ),
    "api.get_transfer": op("一次组织关系转接", tag=TAG, data=TRANSFER, errors=(404,)),
    "api.approve_transfer": op("批准转接（转出方、转入方）", tag=TAG, data=TRANSFER, errors=(404, 409, 422)),
    "api.reject_transfer": op(
        "退回转接",
        tag=TAG,
        body=obj(reason=STR),
        data=TRANSFER,
        errors=(404, 409, 422),
    ),
    "api.member_card": op(
        "党员电子名片（签名二维码内容与 SVG）", tag=TAG, data=obj(payload=STR, svg=STR), errors=(404,)
    ),
    "api.verify_card": op(
        "核验名片（党务工作者）",
        tag=TAG,
        body=obj(payload=STR),
        data=obj(id=INT, name=STR, branch=null(BRANCH_REF), category=null(STR), issued_on=DATE),
        errors=(422,),
    ),
    "api.member_archive": op(
        "党员档案目录（查看留痕）",
        tag=TAG,
        data=obj(
            member_id=INT,
            documents=arr(obj(id=INT, kind=STR, filename=STR, step=null(STR))),
            entries=arr(obj(kind=STR, occurred_on=DATE, title=STR)),
            access=arr(obj(action=STR, actor_id=null(INT), at=DATETIME)),
        ),
        errors=(404,),
    ),
}
