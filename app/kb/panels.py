"""Knowledge-base panel on the home page: articles waiting for an approver."""

from app.kb import services
from app.portal.panels import register_panel


def review_queue(user):
    count = services.review_queue_count()
    return ("kb/panels/review.html", {"count": count}) if count else None


def register_kb_panels() -> None:
    register_panel("kb.review", review_queue, roles=("admin", "coordinator"), order=25)
