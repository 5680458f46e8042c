"""Course pages: the catalog, my learning, the course page and the lesson player for members;
authoring for trainers; flipped-class sessions; assignments for coordinators.

Every view loads what the URL names through a ``get_*_for`` helper (404 / 403), validates, calls
one service, commits, and renders or redirects.

One blueprint, ``courses``, shared by the modules of this package, one per area: catalog (members'
catalog, my learning, course page), player (lesson player and discussion), authoring (trainers),
classes (flipped classes), assignments (coordinators), panels (home page). Each module adds its
routes to :data:`bp` when imported, at the end of this file.

Because every view takes those same steps, the views here are alike in shape to each other and to
other blueprints' views (and their import blocks to other import blocks): kept apart on purpose,
each names its own loader, service, words and target; a generic view would hide them.
"""

from pathlib import Path

from flask import Blueprint, current_app

from app.core.clock import localtoday
from app.core.text import render_markdown

bp = Blueprint(
    "courses",
    __name__,
    url_prefix="/courses",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
    root_path=str(Path(__file__).resolve().parent.parent),  # templates/ and static/ live in courses/
)


def per_page() -> int:
    return current_app.config["ITEMS_PER_PAGE"]


@bp.app_template_global()
def lesson_kind_icon(kind) -> str:
    return {"video": "▶", "audio": "♪", "article": "☰", "document": "▤"}.get(
        str(getattr(kind, "value", kind)), "•"
    )


@bp.app_template_global()
def course_today():
    return localtoday()


bp.add_app_template_global(render_markdown, "render_comment")


from courses.views import assignments, authoring, catalog, classes, player  # noqa: E402, F401 -- their routes join bp
