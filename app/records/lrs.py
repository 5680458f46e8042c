"""Sending the statement outbox to a learning record store (xAPI 1.0.3, ``POST /statements``).

Beat runs :func:`send_pending_statements` every ``XAPI_SEND_SECONDS``; nothing happens until
``XAPI_LRS_ENDPOINT`` is set. One sender at a time holds the lease on the ``xapi_outbox`` row; it
sends pending statements in batches (a JSON array, Basic auth, ``X-Experience-API-Version``) and
marks sent exactly those the store acknowledged. Nothing is ever lost or stored twice:

- a statement stays ``pending`` until the store's answer names it, so a crash, a timeout or a
  refused connection only means it is sent again later;
- sent again, it carries the same id (see ``services/xapi.py``): a store that already holds it
  answers 204 or 409, which counts as sent;
- a batch the store refuses as a whole (400, 409: one statement in it is invalid or known) is
  retried one statement at a time with ``PUT /statements?statementId=``, so one bad statement is
  set aside (``rejected``) instead of holding back every other;
- connection errors, 5xx, 429 and auth failures wait with exponential backoff (doubling from
  ``XAPI_BACKOFF_SECONDS`` up to ``XAPI_BACKOFF_MAX_SECONDS``, or the store's ``Retry-After``).
"""

import base64
import json
import logging
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from app.accounts.models import User
from app.core.clock import LOCAL_TZ, utcnow
from app.core.transactions import insert_or_skip
from app.extensions import db
from app.portal.health import ERROR, OK, WARNING, HealthResult
from app.records.models import XapiOutbox, XapiStatement
from app.records.services.xapi import XAPI_VERSION, statement_json, xapi_site_url

logger = logging.getLogger(__name__)

OUTBOX_ID = 1


@dataclass(frozen=True)
class LrsSettings:
    endpoint: str
    username: str
    password: str
    site_url: str
    batch_size: int = 50
    max_batches: int = 20
    timeout: float = 10.0
    backoff: float = 30.0
    backoff_max: float = 3600.0

    @classmethod
    def from_config(cls, config) -> "LrsSettings | None":
        """The store's settings, or ``None`` when no store is configured."""
        endpoint = (config.get("XAPI_LRS_ENDPOINT") or "").strip()
        if not endpoint:
            return None
        return cls(
            endpoint=endpoint.rstrip("/") + "/",
            username=config.get("XAPI_LRS_USERNAME") or "",
            password=config.get("XAPI_LRS_PASSWORD") or "",
            site_url=xapi_site_url(config),
            batch_size=max(1, int(config["XAPI_BATCH_SIZE"])),
            max_batches=max(1, int(config["XAPI_MAX_BATCHES_PER_RUN"])),
            timeout=float(config["XAPI_TIMEOUT_SECONDS"]),
            backoff=float(config["XAPI_BACKOFF_SECONDS"]),
            backoff_max=float(config["XAPI_BACKOFF_MAX_SECONDS"]),
        )

    @property
    def lease(self) -> timedelta:
        """Longer than one run can take (each batch may fall back to one request per statement)."""
        return timedelta(seconds=self.timeout * self.max_batches * (self.batch_size + 1) + 60)


@dataclass(frozen=True)
class Answer:
    #: The HTTP status, or ``None`` when no answer came (refused, timed out, unreachable).
    status: int | None
    body: bytes = b""
    error: str = ""
    retry_after: float | None = None

    @property
    def is_success(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass
class SendReport:
    sent: int = 0
    rejected: int = 0
    failed: bool = False
    skipped: str = ""


# --- HTTP ------------------------------------------------------------------------------------------


def _request(settings: LrsSettings, method: str, url: str, payload) -> Answer:
    credentials = base64.b64encode(f"{settings.username}:{settings.password}".encode()).decode()
    request = urllib.request.Request(  # noqa: S310 -- the URL is the administrator's configured endpoint
        url,
        data=json.dumps(payload, ensure_ascii=False).encode(),
        method=method,
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "Authorization": f"Basic {credentials}",
            "X-Experience-API-Version": XAPI_VERSION,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.timeout) as response:  # noqa: S310 -- as above
            return Answer(response.status, response.read())
    except urllib.error.HTTPError as exc:
        body = exc.read()
        retry = exc.headers.get("Retry-After", "")
        return Answer(
            exc.code,
            body,
            f"HTTP {exc.code}: {body[:200].decode(errors='replace')}",
            float(retry) if retry.isdigit() else None,
        )
    except (OSError, ValueError) as exc:  # refused, reset, timed out, DNS, a malformed endpoint
        return Answer(None, error=f"{type(exc).__name__}: {exc}"[:300])


def post_statements(settings: LrsSettings, statements: list[dict]) -> Answer:
    return _request(settings, "POST", settings.endpoint + "statements", statements)


def put_statement(settings: LrsSettings, statement: dict) -> Answer:
    url = f"{settings.endpoint}statements?statementId={quote(statement['id'])}"
    return _request(settings, "PUT", url, statement)


# --- the outbox ------------------------------------------------------------------------------------


def outbox_row() -> XapiOutbox:
    db.session.execute(insert_or_skip(XapiOutbox, ["id"]).values(id=OUTBOX_ID, failures=0))
    return db.session.get(XapiOutbox, OUTBOX_ID, populate_existing=True)


def _take_lease(settings: LrsSettings) -> bool:
    """Atomically claim the sender's lease; ``False`` when another sender holds it."""
    now = utcnow()
    taken = db.session.execute(
        sa.update(XapiOutbox)
        .where(
            XapiOutbox.id == OUTBOX_ID,
            sa.or_(XapiOutbox.lease_until.is_(None), XapiOutbox.lease_until < now),
        )
        .values(lease_until=now + settings.lease)
        .execution_options(synchronize_session=False)
    )
    return taken.rowcount == 1


def _pending(limit: int) -> list[tuple[XapiStatement, str]]:
    rows = db.session.execute(
        sa.select(XapiStatement, User.employee_no)
        .join(User, XapiStatement.user_id == User.id)
        .where(XapiStatement.status == "pending")
        .order_by(XapiStatement.id)
        .limit(limit)
    ).all()
    return [(statement, employee_no) for statement, employee_no in rows]


def _accepted_ids(answer: Answer, sent_ids: list[str]) -> set[str]:
    """The ids the store says it stored (its 200 body is their array); all of them if it says nothing."""
    try:
        listed = json.loads(answer.body or b"null")
    except ValueError:
        listed = None
    if isinstance(listed, list) and listed:
        return {str(i) for i in listed} & set(sent_ids)
    return set(sent_ids)


def _mark_sent(statements: list[XapiStatement]) -> None:
    now = utcnow()
    for statement in statements:
        statement.status, statement.sent_at, statement.error = "sent", now, None


def _one_by_one(settings: LrsSettings, batch: list[tuple[XapiStatement, dict]], report: SendReport) -> Answer:
    """Send each statement alone; returns the first failure's answer (or the last success)."""
    answer = Answer(204)
    for statement, data in batch:
        answer = put_statement(settings, data)
        if answer.is_success or answer.status == 409:  # 409: the store already holds this id
            _mark_sent([statement])
            report.sent += 1
        elif answer.status == 400:
            statement.status, statement.error = "rejected", answer.error[:300]
            report.rejected += 1
            logger.warning("LRS rejected xAPI statement %s: %s", statement.statement_id, answer.error)
        else:
            return answer
    return Answer(204)


def _send_batch(settings: LrsSettings, rows: list[tuple[XapiStatement, str]], report: SendReport) -> Answer:
    batch = [(s, statement_json(s, employee_no, settings.site_url)) for s, employee_no in rows]
    answer = post_statements(settings, [data for _s, data in batch])
    if answer.is_success:
        accepted = _accepted_ids(answer, [s.statement_id for s, _d in batch])
        done = [s for s, _d in batch if s.statement_id in accepted]
        _mark_sent(done)
        report.sent += len(done)
        return answer
    if answer.status in (400, 409):
        return _one_by_one(settings, batch, report)
    return answer


def _note_failure(outbox: XapiOutbox, settings: LrsSettings, answer: Answer) -> None:
    now = utcnow()
    outbox.failures += 1
    wait = min(settings.backoff * 2 ** (outbox.failures - 1), settings.backoff_max)
    if answer.retry_after:
        wait = max(wait, min(answer.retry_after, settings.backoff_max))
    outbox.next_attempt_at = now + timedelta(seconds=wait)
    outbox.last_error = (answer.error or f"HTTP {answer.status}")[:300]
    outbox.last_error_at = now
    logger.warning("xAPI send failed (%s in a row), next try in %ss: %s", outbox.failures, wait, answer.error)


def send_pending_statements(settings: LrsSettings, commit: Callable[[], None]) -> SendReport:
    """Send what the outbox holds, batch by batch, each committed on its own. Safe to run anywhere
    at any time: a second sender finds the lease taken and does nothing."""
    report = SendReport()
    outbox_row()
    if not _take_lease(settings):
        commit()
        report.skipped = "locked"
        return report
    commit()
    # Read, not insert: no write lock may be held while the store is being asked.
    outbox = db.session.get(XapiOutbox, OUTBOX_ID, populate_existing=True)
    try:
        if outbox.next_attempt_at is not None and outbox.next_attempt_at > utcnow():
            report.skipped = "backoff"
            return report
        for _ in range(settings.max_batches):
            rows = _pending(settings.batch_size)
            if not rows:
                break
            answer = _send_batch(settings, rows, report)
            if not answer.is_success and answer.status not in (400, 409):
                _note_failure(outbox, settings, answer)
                report.failed = True
                commit()
                break
            outbox.failures, outbox.next_attempt_at, outbox.last_success_at = 0, None, utcnow()
            commit()
    finally:
        outbox.lease_until = None
        commit()
    logger.info("xAPI: %s statements sent, %s rejected", report.sent, report.rejected)
    return report


# --- health ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Backlog:
    pending: int
    rejected: int
    oldest: object
    outbox: XapiOutbox | None


def backlog() -> Backlog:
    counts = dict(
        db.session.execute(
            sa.select(XapiStatement.status, sa.func.count(XapiStatement.id))
            .where(XapiStatement.status.in_(("pending", "rejected")))
            .group_by(XapiStatement.status)
        ).all()
    )
    oldest = db.session.scalar(
        sa.select(sa.func.min(XapiStatement.timestamp)).where(XapiStatement.status == "pending")
    )
    return Backlog(
        counts.get("pending", 0), counts.get("rejected", 0), oldest, db.session.get(XapiOutbox, OUTBOX_ID)
    )


def _when(moment) -> str:
    return moment.astimezone(LOCAL_TZ).strftime("%m-%d %H:%M") if moment else _("从未")


def health_check() -> HealthResult:
    state = backlog()
    value = _("%(n)s 条待发送", n=state.pending)
    if LrsSettings.from_config(current_app.config) is None:
        return HealthResult(OK, value, _("未配置学习记录存储（XAPI_LRS_ENDPOINT），语句只保存在本平台"))
    outbox = state.outbox
    parts = [
        _("最早一条 %(when)s", when=_when(state.oldest)) if state.pending else _("没有积压"),
        _("上次成功 %(when)s", when=_when(outbox.last_success_at if outbox else None)),
    ]
    failing = bool(outbox and outbox.failures)
    if failing:
        parts.append(
            _("上次错误 %(when)s：%(error)s", when=_when(outbox.last_error_at), error=outbox.last_error)
        )
    if state.rejected:
        parts.append(_("%(n)s 条被拒收", n=state.rejected))
    # A few failures in a row are an outage the backoff rides out; more need someone to look.
    status = ERROR if failing and outbox.failures >= 5 else WARNING if failing or state.rejected else OK
    return HealthResult(status, value, "；".join(parts))
