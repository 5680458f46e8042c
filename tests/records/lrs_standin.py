"""A small learning record store for tests: a real HTTP server in a thread that checks what it
receives against xAPI 1.0.3 and answers the way a strict LRS does.

- every request needs ``X-Experience-API-Version: 1.0.x`` (400) and the configured Basic auth (401);
- ``POST /statements`` takes one statement or an array; each is checked (:func:`statement_problems`);
  a batch with a problem, or with two statements sharing an id, is refused whole (400); a batch
  holding an id already stored is refused whole (409) and changes nothing; otherwise all are stored
  and the answer is their ids (200);
- ``PUT /statements?statementId=`` stores one (204), or answers 204 again when the same statement
  is already stored and 409 when a different one is;
- ``mode`` lets a test break it: ``"unavailable"`` answers 503 and stores nothing, ``"lose_answer"``
  stores the batch and then answers 500 (a store that crashed before replying); :meth:`stop` and
  :meth:`start` take it off the port (connection refused) and bring it back on the same one.

``stored`` maps each statement id to the number of times it was stored: anything above 1 is a
statement sent twice.
"""

import base64
import json
import re
import threading
import uuid
from collections import Counter
from urllib.parse import urlsplit

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

ISO_TIMESTAMP = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"
)  # xAPI 1.0.3 4.6: ISO 8601 with a zone; -00:00 is refused
ISO_DURATION = re.compile(r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$")
LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$")
TOP_LEVEL = {
    "id",
    "actor",
    "verb",
    "object",
    "result",
    "context",
    "timestamp",
    "stored",
    "authority",
    "version",
}
IFIS = ("mbox", "mbox_sha1sum", "openid", "account")


def is_iri(value) -> bool:
    parts = urlsplit(value) if isinstance(value, str) else None
    return bool(parts and parts.scheme and (parts.netloc or parts.path)) and " " not in value


def is_uuid(value) -> bool:
    try:
        parsed = uuid.UUID(value)
    except (TypeError, ValueError, AttributeError):
        return False
    return str(parsed) == value.lower() and parsed.variant == uuid.RFC_4122


def _language_map(value, where: str) -> list[str]:
    if not isinstance(value, dict) or not value:
        return [f"{where} is not a language map"]
    return [f"{where} has a bad language tag {k!r}" for k in value if not LANGUAGE_TAG.match(k)]


def _actor_problems(actor) -> list[str]:
    if not isinstance(actor, dict):
        return ["actor is missing"]
    problems = []
    if actor.get("objectType", "Agent") != "Agent":
        problems.append("actor objectType is not Agent")
    ifis = [k for k in IFIS if k in actor]
    if len(ifis) != 1:
        problems.append(f"actor has {len(ifis)} inverse functional identifiers, not exactly one")
    account = actor.get("account")
    if account is not None and not (
        isinstance(account, dict)
        and is_iri(account.get("homePage"))
        and isinstance(account.get("name"), str)
        and account["name"]
        and set(account) == {"homePage", "name"}
    ):
        problems.append("actor account needs exactly an IRL homePage and a name")
    return problems


def _result_problems(result) -> list[str]:
    if not isinstance(result, dict):
        return ["result is not an object"]
    problems = []
    if "duration" in result and not ISO_DURATION.match(str(result["duration"])):
        problems.append(f"result duration {result['duration']!r} is not ISO 8601")
    for flag in ("success", "completion"):
        if flag in result and not isinstance(result[flag], bool):
            problems.append(f"result {flag} is not a boolean")
    score = result.get("score")
    if score is not None:
        if not isinstance(score, dict):
            problems.append("result score is not an object")
        else:
            if "scaled" in score and not -1 <= score["scaled"] <= 1:
                problems.append("score scaled outside -1..1")
            low, high = score.get("min"), score.get("max")
            if "raw" in score and low is not None and high is not None and not low <= score["raw"] <= high:
                problems.append("score raw outside min..max")
    return problems


def statement_problems(statement) -> list[str]:
    """What is wrong with ``statement`` under xAPI 1.0.3 (empty when nothing is)."""
    if not isinstance(statement, dict):
        return ["a statement is not an object"]
    problems = [f"unknown property {k!r}" for k in statement if k not in TOP_LEVEL]
    if "id" in statement and not is_uuid(statement["id"]):
        problems.append(f"id {statement['id']!r} is not a UUID")
    problems += _actor_problems(statement.get("actor"))
    verb = statement.get("verb")
    if not isinstance(verb, dict) or not is_iri(verb.get("id")):
        problems.append("verb id is not an IRI")
    elif "display" in verb:
        problems += _language_map(verb["display"], "verb display")
    target = statement.get("object")
    if not isinstance(target, dict) or target.get("objectType", "Activity") != "Activity":
        problems.append("object is not an Activity")
    elif not is_iri(target.get("id")):
        problems.append("object id is not an IRI")
    else:
        definition = target.get("definition", {})
        if "name" in definition:
            problems += _language_map(definition["name"], "activity name")
        if "type" in definition and not is_iri(definition["type"]):
            problems.append("activity type is not an IRI")
    if "timestamp" in statement and not ISO_TIMESTAMP.match(str(statement["timestamp"])):
        problems.append(f"timestamp {statement['timestamp']!r} is not ISO 8601 with a zone")
    if "version" in statement and not str(statement["version"]).startswith("1.0."):
        problems.append("version does not start with 1.0.")
    if "result" in statement:
        problems += _result_problems(statement["result"])
    return problems


class StandInLrs:
    def __init__(self, username="lrs-key", password="lrs-secret"):  # noqa: S107 -- a test store's
        self.username, self.password = username, password
        self.mode = "ok"
        self.statements: dict[str, dict] = {}
        self.stored: Counter = Counter()
        #: (method, number of statements, status) of every request that reached it.
        self.requests: list[tuple[str, int, int]] = []
        self.problems: list[str] = []
        self.lock = threading.Lock()
        #: Seconds each request takes, to make overlapping senders overlap.
        self.delay = 0.0
        self.in_flight = self.most_in_flight = 0
        self.port = 0
        self._server = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/xapi/"

    def start(self) -> "StandInLrs":
        self._server = make_server("127.0.0.1", self.port, self._wsgi, threaded=True)
        self.port = self._server.server_port
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    # --- answering ---

    def _wsgi(self, environ, start_response):
        request = Request(environ)
        with self.lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if self.delay:
                threading.Event().wait(self.delay)
            with self.lock:
                response = self._answer(request)
                self.requests.append((request.method, self._count(request), response.status_code))
        finally:
            with self.lock:
                self.in_flight -= 1
        return response(environ, start_response)

    @staticmethod
    def _count(request) -> int:
        body = request.get_json(silent=True)
        return len(body) if isinstance(body, list) else 1

    def _refuse(self, status: int, message: str) -> Response:
        self.problems.append(message)
        return Response(json.dumps({"error": message}), status, mimetype="application/json")

    def _answer(self, request) -> Response:
        if not request.headers.get("X-Experience-API-Version", "").startswith("1.0."):
            return self._refuse(400, "missing X-Experience-API-Version 1.0.x")
        expected = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        if request.headers.get("Authorization") != f"Basic {expected}":
            return Response("unauthorised", 401, {"WWW-Authenticate": 'Basic realm="LRS"'})
        if self.mode == "unavailable":
            return Response("maintenance", 503)
        if request.path != "/xapi/statements":
            return Response("not found", 404)
        body = request.get_json(silent=True)
        if request.method == "POST":
            return self._post(body if isinstance(body, list) else [body])
        if request.method == "PUT":
            return self._put(request.args.get("statementId"), body)
        return Response("method not allowed", 405)

    def _invalid(self, batch) -> Response | None:
        for statement in batch:
            if problems := statement_problems(statement):
                return self._refuse(400, "; ".join(problems))
        ids = [s.get("id") for s in batch]
        if len(ids) != len(set(ids)):
            return self._refuse(400, "two statements in one batch share an id")
        return None

    def _post(self, batch) -> Response:
        if refused := self._invalid(batch):
            return refused
        if any(s["id"] in self.statements for s in batch):
            return Response(json.dumps({"error": "conflict"}), 409, mimetype="application/json")
        for statement in batch:
            self.statements[statement["id"]] = statement
            self.stored[statement["id"]] += 1
        if self.mode == "lose_answer":
            return Response("crashed before answering", 500)
        return Response(json.dumps([s["id"] for s in batch]), 200, mimetype="application/json")

    def _put(self, statement_id, statement) -> Response:
        if refused := self._invalid([statement]):
            return refused
        if statement.get("id", statement_id) != statement_id:
            return self._refuse(400, "statementId does not match the statement's id")
        known = self.statements.get(statement_id)
        if known is not None:
            return Response("", 204 if known == statement else 409)
        self.statements[statement_id] = statement
        self.stored[statement_id] += 1
        return Response("", 204)
