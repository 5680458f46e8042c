"""Q&A panels on the home page: unanswered questions for experts, the moderation queue for admins."""

from app.portal.panels import register_panel
from app.qa import experts as qa_experts
from app.qa import moderation as qa_moderation


def unanswered(user):
    items, total = qa_experts.unanswered_in_tags(user)
    has_tags = bool(qa_experts.expert_tag_ids(user))
    return "qa/panels/unanswered.html", {"items": items, "total": total, "has_tags": has_tags}


def moderation(user):
    count = qa_moderation.open_report_count()
    return ("qa/panels/moderation.html", {"count": count}) if count else None


def register_qa_panels() -> None:
    register_panel("qa.unanswered", unanswered, roles=("trainer",), order=30)
    register_panel("qa.moderation", moderation, roles=("admin",), order=20)
