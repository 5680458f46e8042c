"""``app/api/care.py``: hardship cases (only for those who may see them; every read audited)."""

from app.api.spec.common import BRANCH_REF, DATE, DECIMAL, INT, STR, URL, arr, null, obj, op

OPERATIONS = {
    "api.get_care_case": op(
        "一件困难帮扶档案",
        tag="关怀帮扶",
        data=obj(
            id=INT,
            member=obj(id=INT, name=STR),
            branch=BRANCH_REF,
            kind=STR,
            title=STR,
            description=null(STR),
            amount_needed=null(DECIMAL),
            status=STR,
            follow_up_on=null(DATE),
            assistance=arr(obj(kind=STR, given_on=DATE, amount=DECIMAL, note=null(STR))),
            documents=arr(obj(id=INT, filename=STR, url=URL)),
        ),
        errors=(404,),
    ),
}
