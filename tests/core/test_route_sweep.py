"""Every route, every role, bad input: no answer is a 500, and no state-changing route runs without
a CSRF token.

For each rule of ``app.url_map`` and each role (anonymous, member, trainer, coordinator, admin), in
a small world where the ids in the URLs exist, the sweep throws what browsers, scripts and attackers
send: unreadable query strings (``?page=²&per_page=-1&q=%00``, huge numbers, arrays), form bodies
of garbage in every field name the site's forms know, JSON bodies that are not objects, are nested
too deep, hold huge strings or the wrong types, and path ids that are huge (2**64), non-ASCII digits
('²', '٣'), negative or zero. Every failure is collected, so one run lists them all.

Inputs are sampled: every rule gets every query string, and its form and JSON bodies rotate with the
role (the admin, who reaches the most code, gets three of each, the others one). Pages with a form
are also posted their own form as the page fills it, with one field at a time spoilt, so that the
other fields' validation does not stop the bad one early. Static files and the media segment stream
are skipped: they are files served by Werkzeug, not views.
"""

import io
import json
import logging
import re
import traceback
from datetime import date, timedelta
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest
import sqlalchemy as sa
from wtforms.fields.core import UnboundField

from app.accounts.models import Role
from app.branchlife import services as meetings
from app.core.clock import utcnow
from app.core.models import AuditEntry
from app.extensions import db
from app.kb import authoring as kb_authoring
from app.kb import services as kb
from app.portal import services as portal
from app.qa import services as qa
from app.quiz import bank, quizzes
from courses import assignments, classes, discussion
from courses import services as courses
from tests.conftest import PASSWORD
from tests.helpers import config_set, count

ROOT = Path(__file__).resolve().parents[2]
ROLES = ["anonymous", "member", "trainer", "coordinator", "admin"]

#: Files served straight from disk, with no view logic worth sweeping.
SKIPPED = {
    "static": "a file from app/static",
    "bootstrap.static": "a file from Bootstrap-Flask",
    "courses.static": "a file from the courses blueprint's static folder",
    "media_pipeline.static": "a file from the media blueprint's static folder",
    "media_pipeline.serve": "an HLS segment or poster streamed from MEDIA_ROOT",
}

#: Routes that end the signed-in session (or change its password, or language): swept last, so the
#: rest of the sweep runs signed in.
SESSION_ENDING = {
    "accounts.logout",
    "accounts.end_all_sessions",
    "accounts.end_session",
    "accounts.change_password",
    "accounts.set_language",
}

HUGE_DIGITS = str(2**64)
BAD_PATH_IDS = [HUGE_DIGITS, "²", "٣", "-1", "0"]
BAD_PATH_WORDS = ["²", "%00", "a" * 300, "..%2F..%2Fetc"]

QUERY_STRINGS = [
    "page=²&per_page=-1&q=%00",
    f"page={'9' * 40}&per_page={HUGE_DIGITS}&tag={HUGE_DIGITS}&category={HUGE_DIGITS}&branch={HUGE_DIGITS}"
    "&status=x&tab=__class__&sort=-1&type=%FF&kind=[]&from=0001-01-01&to=9999-99-99&year=-1",
    "page[]=1&page=2&q=a&q=b&branch=٣&course=²&user=-1&tag=NaN&_method=PUT&_external=1&lesson_id=abc"
    "&format=../../x&next=//evil.example&fmt=exe",
]

FORM_VALUES = ["²", "٣", HUGE_DIGITS, "-1", "NaN", "Infinity", "0001-01-01T00:00", "x" * 5000, "", "1e999"]

JSON_BODIES = [
    "x",
    [1, 2, 3],
    None,
    123,
    "[" * 40 + "]" * 40,  # as raw text: deeper than the guard allows
    {"title": "党" * 200_000, "body": "x" * 200_000},
]
JSON_VALUES = [2**64, "²", [], {"$ne": 1}, True, -1, 1.5, None, "NaN", 1e308]


def _form_field_names() -> list[str]:
    """Every field name any page form of the site declares, plus the names APIs and JS read."""
    import importlib

    from flask_wtf import FlaskForm

    for module in (
        "app.accounts.forms",
        "app.kb.forms",
        "app.org.forms",
        "app.portal.forms",
        "app.qa.forms",
        "app.quiz.forms",
        "app.records.forms",
        "courses.forms",
    ):
        importlib.import_module(module)
    names = set()
    pending = list(FlaskForm.__subclasses__())
    while pending:
        form = pending.pop()
        pending.extend(form.__subclasses__())
        names.update(name for name in dir(form) if isinstance(getattr(form, name, None), UnboundField))
    names.update(
        {
            "parent_id", "media_asset_id", "position", "value", "answers", "responses", "answer",
            "invite", "question_id", "option", "events", "seconds", "session_id", "position_seconds",
            "ids", "user_ids", "member_ids", "reason", "note", "category", "tags", "status", "code",
            "name", "size", "filename", "chunk", "offset", "total", "lesson_id", "course_id",
        }
    )  # fmt: skip
    names.discard("csrf_token")
    return sorted(names)


@pytest.fixture
def world(create_user, org_tree):
    """One of each thing a URL can name, and a signed-in user per role (in the branch tree)."""
    people = {
        "member": create_user(Role.MEMBER, branch=org_tree["a1"], name="党员甲"),
        "trainer": create_user(Role.TRAINER, Role.MEMBER, branch=org_tree["a1"], name="讲师甲"),
        "coordinator": create_user(Role.COORDINATOR, Role.MEMBER, branch=org_tree["root"], name="组织员甲"),
        "admin": create_user(Role.ADMIN, name="管理员甲"),
        "other": create_user(Role.MEMBER, branch=org_tree["b1"], name="党员乙"),
    }
    trainer, coordinator, admin, other = (people[k] for k in ("trainer", "coordinator", "admin", "other"))

    course = courses.create_course(
        courses.CourseData(title="党史学习", credit_hours=Decimal("1.00")), trainer
    )
    chapter = courses.add_chapter(course, "第一章", trainer)
    lesson = courses.create_lesson(
        chapter,
        courses.LessonData(title="第一课", kind="article", body="正文" * 50, estimated_minutes=5),
        trainer,
    )
    courses.publish_course(course, trainer)
    courses.enrol(course, people["member"])
    lesson_comment = discussion.add_comment(lesson, people["member"], "学习体会")
    flipped = courses.create_course(courses.CourseData(title="翻转课堂", kind="flipped"), trainer)
    courses.create_lesson(
        courses.add_chapter(flipped, "课前", trainer),
        courses.LessonData(title="课前阅读", kind="article", body="正文" * 50, estimated_minutes=5),
        trainer,
    )
    courses.publish_course(flipped, trainer)
    starts = utcnow().replace(microsecond=0) + timedelta(days=2)
    session = classes.create_session(
        flipped,
        classes.SessionData(
            title="第一次课堂", starts_at=starts, ends_at=starts + timedelta(hours=2), place="党校教室"
        ),
        trainer,
    )
    assignment = assignments.create_assignment(
        assignments.AssignmentData(
            title="必修课", course_ids=[course.id], start_on=date(2026, 1, 1), due_on=date(2099, 1, 1),
            branch_id=org_tree["a1"].id,
        ),
        coordinator,
    )  # fmt: skip

    article = kb_authoring.create_article(coordinator, "党章学习要点", "正文", status="published")
    category = kb.create_category("党规党纪", None, admin)
    question = qa.ask_question(other, "如何计算党龄的问题", "请教各位")
    answer = qa.answer_question(question, trainer, "从转正之日起计算。")
    comment = qa.add_comment(question, trainer, "补充一下")
    notice = portal.create_notice(
        portal.NoticeData(kind="notice", title="学习通知", body="请按时参加。", branch_id=None),
        admin,
        publish=True,
    )
    fields = bank.clean_question(
        "single", "党的最高理想是？", ["共产主义", "甲", "乙", "丙"], "A", "", 3, "", "党章"
    )
    quiz_question = bank.create_question(fields, trainer)
    quiz = quizzes.create_quiz(
        quizzes.QuizData(title="课后测验", question_ids=[quiz_question.id], is_published=True), trainer
    )
    meeting = meetings.record_meeting(
        coordinator,
        org_tree["a1"],
        meetings.MeetingData(
            kind="general_assembly",
            title="支部党员大会",
            held_on=date(2026, 3, 1),
            minutes=60,
            member_ids=[people["member"].id],
        ),
    )
    db.session.commit()
    ids = {
        "course_id": course.id,
        "flipped_course_id": flipped.id,
        "session_id": session.id,
        "assignment_id": assignment.id,
        "comment_id": lesson_comment.id,
        "quiz_id": quiz.id,
        "chapter_id": chapter.id,
        "lesson_id": lesson.id,
        "article_id": article.id,
        "category_id": category.id,
        "question_id": question.id,
        "answer_id": answer.id,
        "target_id": comment.id,
        "notice_id": notice.id,
        "user_id": other.id,
        "branch_id": org_tree["a1"].id,
        "meeting_id": meeting.id,
        "tag_id": 1,
        "number": 1,
    }
    ids["bank_question_id"] = quiz_question.id
    return {"people": people, "ids": ids}


WORDS = {
    "action": "up",
    "target_type": "question",
    "code": "ABCDEF",
    "public_id": "abcdef",
    "upload_id": "abcdef",
    "fmt": "csv",
    "key": "720p",
    "filename": "index.m3u8",
}


def _is_the_sites(app, rule) -> bool:
    """Not a route another test added to the session's app (``/_test/boom`` raises on purpose)."""
    return not app.view_functions[rule.endpoint].__module__.startswith("tests.")


def _rules(app):
    rules = [
        rule for rule in app.url_map.iter_rules() if rule.endpoint not in SKIPPED and _is_the_sites(app, rule)
    ]
    return sorted(rules, key=lambda rule: (rule.endpoint in SESSION_ENDING, rule.rule))


def _path(rule, values: dict) -> str:
    return rule.build(values, append_unknown=False)[1]


def _real_values(rule, ids: dict) -> dict:
    values = {}
    for name, converter in rule._converters.items():
        if type(converter).__name__ == "IdConverter":
            key = name
            if name == "question_id" and rule.rule.startswith("/quiz/"):
                key = "bank_question_id"
            elif name == "course_id" and "/classes/" in rule.rule:
                key = "flipped_course_id"
            values[name] = ids.get(key, 1)
        else:
            values[name] = WORDS.get(name, "x")
    return values


def _bad_paths(rule, ids: dict, role: str, rule_index: int) -> list[str]:
    """The rule's path with each argument in turn replaced by an unreadable value (the raw text, as a
    browser would send it: the URL map, not ``url_for``, decides what matches)."""
    real = _real_values(rule, ids)
    paths = []
    for name, converter in rule._converters.items():
        bad = BAD_PATH_IDS if type(converter).__name__ == "IdConverter" else BAD_PATH_WORDS
        placeholder = 7_654_321_987 if type(converter).__name__ == "IdConverter" else "sweep-placeholder"
        path = _path(rule, real | {name: placeholder})
        picks = range(len(bad)) if role == "admin" else [*_picks(role, rule_index, len(bad)), 0]
        paths.extend(path.replace(str(placeholder), bad[i]) for i in sorted(set(picks)))
    return paths


def _where(exc: BaseException) -> str:
    """The exception and the last line of this project's code it passed through."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f"{ROOT}/" in f.filename]
    where = f"{Path(frames[-1].filename).relative_to(ROOT)}:{frames[-1].lineno}" if frames else "?"
    return f"{type(exc).__name__} at {where}"


class _Crashes(logging.Handler):
    """The exceptions the app's last-resort handler logged (it turns them into a 500 page)."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.seen: list[str] = []

    def emit(self, record):
        if record.exc_info and record.exc_info[1] is not None:
            self.seen.append(_where(record.exc_info[1]))


@pytest.fixture
def crashes():
    handler = _Crashes()
    logging.getLogger().addHandler(handler)
    try:
        yield handler.seen
    finally:
        logging.getLogger().removeHandler(handler)


#: What to spoil a page's field with, by the kind of input the page draws for it.
SPOILERS = {
    "date": ["0001-01-01", "9999-12-31", "2026-02-30"],
    "datetime-local": ["0001-01-01T00:00", "9999-12-31T23:59", "2026-13-01T25:61"],
    "number": ["NaN", "Infinity", "1e999", HUGE_DIGITS, "²", "-1"],
    "select": ["²", HUGE_DIGITS, "no-such-choice"],
    "text": ["²", "٣", HUGE_DIGITS, "abc", "x" * 5000],
}


class _FormReader(HTMLParser):
    """The fields of a page's forms with the values the page filled in (what a browser would post),
    and the kind of input each one is."""

    def __init__(self):
        super().__init__()
        self.fields: dict[str, str] = {}
        self.kinds: dict[str, str] = {}
        self._select: str | None = None

    def _add(self, name: str, value: str, kind: str) -> None:
        self.fields.setdefault(name, value)
        self.kinds.setdefault(name, kind if kind in SPOILERS else "text")

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and name != "csrf_token":
            if attrs.get("type") != "checkbox" or "checked" in attrs:  # a radio group: its first choice
                self._add(name, attrs.get("value") or "", attrs.get("type") or "text")
        elif tag == "textarea" and name:
            self._add(name, "正文", "text")
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select:
            self._add(self._select, attrs.get("value") or "", "select")

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def _page_form(client, path: str) -> tuple[dict[str, str], dict[str, str]]:
    response = client.get(path)
    if response.status_code != 200 or "text/html" not in response.content_type:
        return {}, {}
    reader = _FormReader()
    reader.feed(response.get_data(as_text=True))
    return reader.fields, reader.kinds


def _send(client, method: str, path: str, **kwargs):
    return client.open(path, method=method, **kwargs)


def _form_bodies(fields: list[str], picks: list[int]) -> list[dict]:
    bodies = []
    for index in picks:
        value = FORM_VALUES[index % len(FORM_VALUES)]
        body = {name: [value, value] if index % 3 == 0 else value for name in fields}
        body["file"] = (io.BytesIO(b"%PDF-" + value.encode() * 10), "../../x\u202e.pdf")
        bodies.append(body)
    return bodies


def _json_bodies(fields: list[str], picks: list[int]) -> list[tuple[str, str]]:
    bodies = []
    for index in picks:
        if index % 2 == 0:
            body = JSON_BODIES[(index // 2) % len(JSON_BODIES)]
            bodies.append(body if isinstance(body, str) and body.startswith("[") else json.dumps(body))
        else:
            value = JSON_VALUES[(index // 2) % len(JSON_VALUES)]
            bodies.append(json.dumps({name: value for name in fields}))
    return bodies


def _picks(role: str, rule_index: int, span: int, admin: int = 3) -> list[int]:
    """Which of ``span`` inputs a rule gets for a role: the admin, who reaches the most code, three
    (or ``admin``), the others one; rotating with the rule and the role, so every input meets every
    kind of route."""
    offset = rule_index * 3 + ROLES.index(role)
    return [(offset + i) % span for i in range(min(span, admin if role == "admin" else 1))]


def _login(client, user):
    response = client.post("/login", data={"identifier": user.employee_no, "password": PASSWORD})
    assert response.status_code == 302


@pytest.mark.parametrize("role", ROLES)
def test_finding_sweep_no_route_answers_500_to_bad_input(app, client, world, crashes, role):
    people, ids = world["people"], world["ids"]
    if role != "anonymous":
        _login(client, people[role])
    fields = _form_field_names()
    failures = []

    def check(method, path, response, what):
        if response.status_code >= 500:
            reason = crashes[-1] if crashes else response.status_code
            failures.append(f"{role} {method} {path[:120]} [{what}] → {reason}")
        crashes.clear()

    for index, rule in enumerate(_rules(app)):
        methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
        real = _path(rule, _real_values(rule, ids))
        for path in _bad_paths(rule, ids, role, index):
            for method in methods:
                check(method, path, _send(client, method, path), "bad path")
        for method in methods:
            if method == "GET":
                for query in QUERY_STRINGS:
                    check(method, f"{real}?{query}", _send(client, method, f"{real}?{query}"), "query")
                continue
            if "GET" in methods and role in ("trainer", "coordinator", "admin"):
                # The page's own form, filled in as the page fills it, with one field at a time spoilt:
                # validation of the other fields then no longer stops the bad one early.
                filled, kinds = _page_form(client, real)
                for number, name in enumerate(sorted(filled)):
                    spoilers = SPOILERS[kinds[name]]
                    for pick in _picks(role, index + number, len(spoilers), admin=len(spoilers)):
                        value = spoilers[pick]
                        response = _send(client, method, real, data=filled | {name: value})
                        check(method, real, response, f"page form, {name}={value[:20]}")
            for number, body in enumerate(_form_bodies(fields, _picks(role, index, len(FORM_VALUES)))):
                check(method, real, _send(client, method, real, data=body), f"form {number}")
            for body in _json_bodies(fields, _picks(role, index, 2 * len(JSON_VALUES))):
                response = _send(client, method, real, data=body, content_type="application/json")
                check(method, real, response, f"json {body[:40]}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("role", ROLES)
def test_finding_sweep_every_state_changing_route_refuses_a_request_without_csrf_token(
    app, client, world, role, csrf_enabled
):
    people, ids = world["people"], world["ids"]
    if role != "anonymous":
        with config_set(app, WTF_CSRF_ENABLED=False):
            _login(client, people[role])
    tables = list(db.metadata.sorted_tables)

    def rows():
        return {t.name: db.session.scalar(sa.select(sa.func.count()).select_from(t)) for t in tables}

    before, audits = rows(), count(AuditEntry)
    failures = []
    for rule in _rules(app):
        path = _path(rule, _real_values(rule, ids))
        for method in sorted(rule.methods - {"GET", "HEAD", "OPTIONS"}):
            for kwargs in ({"data": {"title": "标题", "body": "正文"}}, {"json": {"title": "标题"}}):
                response = _send(client, method, path, **kwargs)
                refused = {400, 403} | ({401} if role == "anonymous" else set())
                if response.status_code not in refused:
                    failures.append(f"{role} {method} {path} {list(kwargs)} → {response.status_code}")
    db.session.expire_all()
    assert not failures, "\n".join(failures)
    assert count(AuditEntry) == audits
    assert rows() == before


def test_the_sweep_reaches_every_route(app):
    """A new route is swept without anyone adding it here: only files served from disk are left out."""
    swept = {rule.endpoint for rule in _rules(app)}
    assert swept | set(SKIPPED) == {
        rule.endpoint for rule in app.url_map.iter_rules() if _is_the_sites(app, rule)
    }
    assert len(swept) > 200
    assert all(re.match(r"^[a-z_]+(\.[a-z_]+)?$", endpoint) for endpoint in swept)
    assert _rules(app)[-1].endpoint in SESSION_ENDING


class _InlineCode(HTMLParser):
    """Inline event handlers (``onclick=`` …) and inline scripts: code the Content-Security-Policy
    would refuse to run. ``<script type="application/json">`` is data, not code."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        handlers = [name for name, _value in attrs if name.startswith("on")]
        if handlers:
            self.found.append(f"<{tag} {' '.join(handlers)}>")
        attrs = dict(attrs)
        if tag == "script" and not attrs.get("src") and attrs.get("type") != "application/json":
            self._in_script = True
        if tag == "a" and (attrs.get("href") or "").lower().startswith("javascript:"):
            self.found.append("<a href=javascript:>")

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.found.append(f"<script>{data.strip()[:40]}")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False


@pytest.mark.parametrize("role", ROLES)
def test_every_page_carries_the_csp_and_no_inline_code(app, client, world, role):
    people, ids = world["people"], world["ids"]
    if role != "anonymous":
        _login(client, people[role])
    failures, pages = [], 0
    for rule in _rules(app):
        if "GET" not in rule.methods or rule.endpoint in SESSION_ENDING:
            continue
        path = _path(rule, _real_values(rule, ids))
        response = client.get(path)
        if "Content-Security-Policy" not in response.headers:
            failures.append(f"{path}: no Content-Security-Policy")
        if response.status_code != 200 or "text/html" not in response.content_type:
            continue
        pages += 1
        reader = _InlineCode()
        reader.feed(response.get_data(as_text=True))
        failures.extend(f"{role} {path}: {found}" for found in reader.found)
    assert not failures, "\n".join(failures)
    assert pages >= (1 if role == "anonymous" else 20)
