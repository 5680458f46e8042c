"""xAPI-style statements: what a member did, kept beside the ledger."""

import uuid

from app.core.clock import utcnow
from app.extensions import db
from app.records.models import (
    XapiStatement,
)

# --- xAPI ---------------------------------------------------------------------------------------


def record_statement(
    user_id: int, verb: str, object_type: str, object_id: str, name: str, result: dict | None
):
    db.session.add(
        XapiStatement(
            statement_id=str(uuid.uuid4()),
            user_id=user_id,
            verb=verb,
            object_type=object_type,
            object_id=object_id,
            object_name=(name or "")[:200],
            result=result,
            timestamp=utcnow(),
        )
    )
