"""Stored XSS: every user-written field of the knowledge base, Q&A and notices, on every page that
shows it, renders nothing executable.

Each payload is stored in every field at once (article title, summary, body and tags; question
title, body and tags; answer; comment; notice title and body; and the notifications and reports
they cause); then the real pages are rendered and parsed, and nothing may be a script, an event
handler, a ``javascript:``/``data:``/``vbscript:`` URL, an SVG, a frame, an object or an embed.
"""

from html.parser import HTMLParser

import pytest
from markupsafe import escape

from app.extensions import db
from app.kb import authoring
from app.portal import services as portal
from app.qa import moderation
from app.qa import services as qa

PAYLOADS = [
    "<script>alert('XSS1')</script>",
    "<SCRIPT SRC=//evil.example/xss.js></SCRIPT>",
    "<img src=x onerror=alert('XSS3')>",
    "<svg onload=alert('XSS4')>",
    "<svg><script>alert('XSS5')</script></svg>",
    "<a href=\"javascript:alert('XSS6')\">点我</a>",
    "<a href=\"JaVaScRiPt:alert('XSS7')\">x</a>",
    "<a href=\"&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert('XSS8')\">x</a>",
    "<a href=\"java&#x09;script:alert('XSS9')\">x</a>",
    "<a href=\"vbscript:msgbox('XSS10')\">x</a>",
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">XSS11</a>',
    "<iframe src=\"javascript:alert('XSS12')\"></iframe>",
    "<object data=\"javascript:alert('XSS13')\"></object>",
    '<embed src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">XSS14',
    "<div style=\"background:url(javascript:alert('XSS15'))\">x</div>",
    "<p style=\"width: expression(alert('XSS16'))\">x</p>",
    "<style>body{background:url(\"javascript:alert('XSS17')\")}</style>",
    '<img src="x" onerror="alert(\'XSS18\')"',
    "<<script>alert('XSS19');//<</script>",
    "<scr<script>ipt>alert('XSS20')</scr</script>ipt>",
    "[点我](javascript:alert('XSS21'))",
    "![图](javascript:alert('XSS22'))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==) XSS23",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+) XSS24",
    "[x](&#106;avascript:alert('XSS25'))",
    "[x](<javascript:alert('XSS26')>)",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert('XSS27')>",
    "<form action=\"javascript:alert('XSS28')\"><button>go</button></form>",
    "<details open ontoggle=alert('XSS29')>",
    "\"><img src=x onerror=alert('XSS30')>",
    "<a href=\" javascript:alert('XSS31')\">x</a>",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(\'XSS32\')">',
    "<base href=\"javascript:alert('XSS33')//\">",
    "<body onload=alert('XSS34')>",
    "<!--<img src=\"--><img src=x onerror=alert('XSS35')//\">",
]

FORBIDDEN_TAGS = {"script", "svg", "iframe", "object", "embed", "frame", "frameset", "base", "math", "applet"}
URL_ATTRIBUTES = {
    "href",
    "src",
    "action",
    "formaction",
    "data",
    "xlink:href",
    "background",
    "poster",
    "srcset",
}
BAD_SCHEMES = ("javascript:", "data:", "vbscript:")


class ExecutableFinder(HTMLParser):
    """Collects anything in a page that a browser could run."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in = None

    def handle_starttag(self, tag, attrs):
        if tag in FORBIDDEN_TAGS:
            self.problems.append(f"<{tag}>")
        if tag == "script":
            src = dict(attrs).get("src") or ""
            if src.startswith(("/static/", "/bootstrap/")):
                self.problems.pop()  # the site's own scripts
            self._in = "script"
        if tag == "style":
            self._in = "style"
        if tag == "meta" and (dict(attrs).get("http-equiv") or "").lower() == "refresh":
            self.problems.append("<meta http-equiv=refresh>")
        for name, value in attrs:
            value = value or ""
            squeezed = "".join(ch for ch in value if ord(ch) > 32).lower()
            # No inline handler at all: the site's own confirmations are data-confirm attributes.
            if name.startswith("on"):
                self.problems.append(f"{tag} {name}={value!r}")
            if name in URL_ATTRIBUTES and squeezed.startswith(BAD_SCHEMES):
                self.problems.append(f"{tag} {name}={value!r}")
            if name == "style" and (
                "expression" in squeezed or "javascript:" in squeezed or "url(" in squeezed
            ):
                self.problems.append(f"{tag} style={value!r}")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._in = None

    def handle_data(self, data):
        if self._in in ("script", "style") and ("XSS" in data or "alert(" in data or "javascript:" in data):
            self.problems.append(f"<{self._in}> containing {data.strip()[:60]!r}")


def executable_parts(html: str) -> list[str]:
    finder = ExecutableFinder()
    finder.feed(html)
    finder.close()
    return finder.problems


def test_the_checker_itself_catches_what_it_should():
    assert executable_parts("<p>safe <a href='/kb/'>x</a></p>") == []
    for bad in (
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "<a href=' JaVa\tscript:x'>",
        "<svg></svg>",
        "<iframe></iframe>",
        "<a href='data:text/html,x'>",
        "<p style='x:expression(1)'>",
    ):
        assert executable_parts(bad), bad


@pytest.fixture
def cast(org_tree, create_user):
    return {
        "trainer": create_user("trainer", "member", branch=org_tree["a1"], name="王讲师"),
        "coordinator": create_user("coordinator", "member", branch=org_tree["a"], name="赵组织"),
        "member": create_user("member", branch=org_tree["a1"], name="钱学员"),
        "admin": create_user("admin", name="管理员"),
    }


def short_tag(payload: str) -> str:
    return "".join(payload.split())[:30]


@pytest.mark.parametrize("payload", PAYLOADS, ids=[f"p{i + 1}" for i in range(len(PAYLOADS))])
def test_no_payload_survives_on_any_page(as_user, cast, org_tree, payload):
    trainer, coordinator, member, admin = cast["trainer"], cast["coordinator"], cast["member"], cast["admin"]
    title = f"标题 {payload}"[:200]
    article = authoring.create_article(
        coordinator, title=title, summary=payload[:300], body=f"正文\n\n{payload}\n\n{payload}",
        tags=[short_tag(payload)], status="published",
    )  # fmt: skip
    question = qa.ask_question(member, title=title, body=payload, tags=short_tag(payload))
    answer = qa.answer_question(question, trainer, payload)
    qa.add_comment(question, trainer, payload)
    qa.add_comment(question, member, payload, answer)
    moderation.report_content(answer, member, payload)
    notice = portal.create_notice(
        portal.NoticeData(
            "notice",
            title,
            f"通知\n\n{payload}",
            org_tree["a"].id,
            requires_receipt=True,
            location=payload[:200],
        ),
        coordinator,
        publish=True,
    )
    db.session.commit()

    pages = {
        member: [
            "/",
            "/kb/",
            f"/kb/articles/{article.id}",
            "/qa/",
            f"/qa/{question.id}",
            "/notices",
            f"/notices/{notice.id}",
            "/notifications",
            f"/kb/?q={payload[:50]}",
            f"/qa/?q={payload[:50]}",
        ],
        coordinator: [f"/notices/{notice.id}/readers", f"/kb/articles/{article.id}/history", "/kb/mine"],
        admin: ["/qa/moderation", "/notifications", "/admin/audit"],
        trainer: ["/notifications", "/"],
    }
    for user, paths in pages.items():
        client = as_user(user)
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, path
            page = response.get_data(as_text=True)
            problems = executable_parts(page)
            assert problems == [], f"{path}: {problems}"
            if path in (f"/kb/articles/{article.id}", f"/qa/{question.id}", f"/notices/{notice.id}"):
                assert str(escape(title)) in page, path  # the text is there, shown as text

    similar = as_user(member).get(f"/qa/similar?title={title[:100]}").get_json()
    assert similar["success"] is True  # JSON is inserted with textContent by the page, never as HTML
