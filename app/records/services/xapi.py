"""xAPI 1.0.3 statements: what a member did, kept beside the ledger in an outbox for a learning
record store (LRS). ``app/records/lrs.py`` sends them; the API lets coordinators pull them.

Choices the specification leaves to us:

- The actor is an Agent identified by an ``account`` whose ``homePage`` is the site and whose
  ``name`` is the member's 工号 (employee number): the store belongs to the same enterprise, whose
  HR systems key people on it. No name, e-mail or mobile number leaves the platform.
- A statement's id is a UUID derived from what it records (a ledger entry, a lesson completed, a
  quiz passed), never random: recording or sending it again yields the same id, which a store
  answers with 204/409 instead of storing a second copy.
- ``version`` is not set: an LRS sets it on what it accepts (xAPI 1.0.3, 2.4.10, "an LRP SHOULD NOT
  set the Statement version"); the ``X-Experience-API-Version`` header says which version we speak.
"""

import uuid
from datetime import UTC, datetime
from urllib.parse import quote

from app.core.clock import utcnow
from app.core.transactions import insert_or_skip
from app.core.urls import LOCAL_SITE_URL, configured_site_url
from app.extensions import db
from app.records.models import XapiStatement

XAPI_VERSION = "1.0.3"
#: Namespace of the statement ids (uuid5): fixed forever, or a resend would get new ids.
STATEMENT_NAMESPACE = uuid.UUID("6f3c0c5e-4a1b-5d57-9a57-2b8e3c1f0a27")

#: Our verbs → ADL's vocabulary (http://adlnet.gov/expapi/verbs/) with their display names.
VERBS = {
    "completed": ("http://adlnet.gov/expapi/verbs/completed", "完成", "completed"),
    "passed": ("http://adlnet.gov/expapi/verbs/passed", "通过", "passed"),
    "failed": ("http://adlnet.gov/expapi/verbs/failed", "未通过", "failed"),
    "attended": ("http://adlnet.gov/expapi/verbs/attended", "出席", "attended"),
    "experienced": ("http://adlnet.gov/expapi/verbs/experienced", "参与", "experienced"),
}

#: What kind of activity each object is, in ADL's activity-type vocabulary.
ACTIVITY_TYPES = {
    "lesson": "http://adlnet.gov/expapi/activities/lesson",
    "quiz": "http://adlnet.gov/expapi/activities/assessment",
    "meeting": "http://adlnet.gov/expapi/activities/meeting",
    "class_attendance": "http://adlnet.gov/expapi/activities/meeting",
    "course": "http://adlnet.gov/expapi/activities/course",
}


def statement_uuid(key: str) -> str:
    return str(uuid.uuid5(STATEMENT_NAMESPACE, key))


def record_statement(
    user_id: int,
    verb: str,
    object_type: str,
    object_id: str,
    name: str,
    result: dict | None,
    *,
    key: str | None = None,
    at: datetime | None = None,
) -> None:
    """Put a statement in the outbox, once: ``key`` names what it records (default: the member, verb
    and object, which the callers record once each); the same key again adds nothing."""
    if verb not in VERBS:
        raise ValueError(f"unknown xAPI verb {verb!r}")
    key = key or f"{user_id}/{verb}/{object_type}/{object_id}"
    row = {
        "statement_id": statement_uuid(key),
        "user_id": user_id,
        "verb": verb,
        "object_type": object_type,
        "object_id": str(object_id)[:64],
        "object_name": (name or "")[:200],
        "result": result,
        "timestamp": at or utcnow(),
        "status": "pending",
    }
    db.session.execute(insert_or_skip(XapiStatement, ["statement_id"]).values(**row))


# --- the statement as JSON ------------------------------------------------------------------------


def iso_timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and a zone (``2026-12-03T08:00:00.000Z``)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def iso_duration(seconds: float) -> str:
    """ISO 8601 duration (``PT1H30M``, ``PT45S``); xAPI keeps it to 0.01 s precision."""
    seconds = max(0.0, round(float(seconds), 2))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    text = "PT"
    if hours:
        text += f"{int(hours)}H"
    if minutes:
        text += f"{int(minutes)}M"
    if secs or text == "PT":
        text += f"{secs:g}S" if secs != int(secs) else f"{int(secs)}S"
    return text


def _result_json(result: dict | None) -> dict | None:
    """Our stored result → an xAPI Result: scores 0–100 as a Score object, durations in ISO 8601
    (rows written before this module stored a bare score and ``PT<n>M``, which stay readable)."""
    if not result:
        return None
    data = {}
    if "success" in result:
        data["success"] = bool(result["success"])
    if "completion" in result:
        data["completion"] = bool(result["completion"])
    score = result.get("score")
    if isinstance(score, dict):
        data["score"] = score
    elif isinstance(score, int | float) and not isinstance(score, bool) and 0 <= score <= 100:
        data["score"] = {"scaled": round(score / 100, 4), "raw": score, "min": 0, "max": 100}
    if duration := result.get("duration"):
        if isinstance(duration, int | float):
            data["duration"] = iso_duration(duration)
        else:
            data["duration"] = str(duration)
    return data or None


def xapi_site_url(config=None) -> str:
    """The root of actors' homePage and of activity ids: SITE_URL (or its alias XAPI_SITE_URL), else
    :data:`~app.core.urls.LOCAL_SITE_URL`. Never the request's host: an id names an activity for
    good, so the API and the sender to the LRS must spell it alike."""
    return configured_site_url(config) or LOCAL_SITE_URL


def activity_iri(site_url: str, object_type: str, object_id: str) -> str:
    return (
        f"{site_url.rstrip('/')}/xapi/activities/{quote(object_type, safe='')}/{quote(object_id, safe=':')}"
    )


def statement_json(statement: XapiStatement, account_name: str, site_url: str) -> dict:
    """The statement as an xAPI 1.0.3 Statement object."""
    home = site_url.rstrip("/") + "/"
    verb_iri, zh, en = VERBS.get(statement.verb, VERBS["experienced"])
    definition = {"name": {"zh-CN": statement.object_name or statement.object_id}}
    if activity_type := ACTIVITY_TYPES.get(statement.object_type):
        definition["type"] = activity_type
    data = {
        "id": statement.statement_id,
        "actor": {"objectType": "Agent", "account": {"homePage": home, "name": account_name}},
        "verb": {"id": verb_iri, "display": {"zh-CN": zh, "en-US": en}},
        "object": {
            "objectType": "Activity",
            "id": activity_iri(home, statement.object_type, statement.object_id),
            "definition": definition,
        },
        "context": {"platform": "红课", "language": "zh-CN"},
        "timestamp": iso_timestamp(statement.timestamp),
    }
    if result := _result_json(statement.result):
        data["result"] = result
    return data
