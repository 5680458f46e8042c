"""Document (PDF) lessons: the page carries the in-page reader, the PDF stays behind enrolment, and
the pdf.js files the reader loads are served from this origin with the types a browser demands."""

import io
import re
from pathlib import Path

import pytest

from courses import files, services
from tests.helpers import chinese_pdf

PAGES = [["中国共产党章程"], ["总纲"], ["第一章 党员"]]


@pytest.fixture
def document_lesson(trainer, make_course):
    """A published course whose only lesson is a three-page PDF stored the way an upload is."""
    course = make_course(trainer, lessons=[("document", 600)])
    lesson = course.chapters[0].lessons[0]
    stored = files.store_upload(
        io.BytesIO(chinese_pdf(PAGES)), "党章.pdf", "documents", extensions=("pdf",), max_bytes=10**6
    )
    services.set_lesson_document(lesson, stored, trainer)
    return lesson


def test_document_lesson_page_carries_the_pdf_reader(client, login, member, document_lesson):
    login(member)
    page = client.get(f"/courses/lessons/{document_lesson.id}").get_data(as_text=True)
    assert "<object" not in page  # phones showed nothing in it
    assert 'id="pdf-viewer"' in page
    assert f'data-url="/courses/lessons/{document_lesson.id}/document"' in page
    assert re.search(r'data-worker="/static/vendor/pdfjs/pdf\.worker\.min\.[0-9a-f]{12}\.mjs"', page)
    assert 'data-cmaps="/static/vendor/pdfjs/cmaps/"' in page
    assert re.search(r'<script type="module" src="/courses/static/pdf-viewer\.[0-9a-f]{12}\.js">', page)
    assert "打开文档：党章.pdf" in page  # the download stays, for the reader who prefers it
    # Hidden until the reader has laid out the pages below which it sits.
    assert '<div id="reading-end" class="hk-reading-end small text-muted text-center mt-3" hidden>' in page


def test_article_lesson_has_no_pdf_reader_and_a_visible_end(client, login, trainer, member, make_course):
    article = make_course(trainer, lessons=[("article", 300)]).chapters[0].lessons[0]
    login(member)
    page = client.get(f"/courses/lessons/{article.id}").get_data(as_text=True)
    assert "pdf-viewer" not in page
    assert "vendor/pdfjs" not in page
    assert '<div id="reading-end" class="hk-reading-end small text-muted text-center mt-3">' in page


def test_the_pdf_is_served_to_an_enrolled_member_in_ranges(client, login, member, document_lesson):
    login(member)
    client.get(f"/courses/lessons/{document_lesson.id}")  # opening the lesson enrols
    whole = client.get(f"/courses/lessons/{document_lesson.id}/document")
    assert whole.status_code == 200
    assert whole.mimetype == "application/pdf"
    assert whole.data.startswith(b"%PDF-")
    assert "private" in whole.headers["Cache-Control"]
    # pdf.js asks for parts of a large file; the server answers them.
    part = client.get(f"/courses/lessons/{document_lesson.id}/document", headers={"Range": "bytes=0-99"})
    assert part.status_code == 206
    assert part.data == whole.data[:100]


def test_the_pdf_is_refused_to_a_member_not_enrolled_and_to_visitors(
    client, login, create_user, document_lesson
):
    url = f"/courses/lessons/{document_lesson.id}/document"
    visitor = client.get(url)
    assert visitor.status_code == 302
    assert "/login" in visitor.headers["Location"]
    login(create_user("member", name="未选课"))
    assert client.get(url).status_code == 403


PDFJS_FILES = [
    ("pdf.min.mjs", "javascript"),
    ("pdf.worker.min.mjs", "javascript"),
    ("cmaps/UniGB-UCS2-H.bcmap", None),
    ("cmaps/Adobe-GB1-UCS2.bcmap", None),
    ("standard_fonts/FoxitSerif.pfb", None),
]


@pytest.mark.parametrize(("name", "kind"), PDFJS_FILES)
def test_pdfjs_files_are_served_from_this_origin(app, client, name, kind):
    path = Path(app.static_folder) / "vendor" / "pdfjs" / name
    if not path.is_file():
        pytest.skip("app/static/vendor/pdfjs is made by scripts/setup, which has not run here")
    response = client.get(f"/static/vendor/pdfjs/{name}")
    assert response.status_code == 200
    assert response.data == path.read_bytes()
    if kind:  # module scripts and module workers are refused unless served as JavaScript
        assert response.mimetype in ("text/javascript", "application/javascript")
