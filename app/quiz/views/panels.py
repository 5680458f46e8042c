"""The quiz domain's home-page panel: a member's daily quiz and points."""

from app.portal.panels import register_panel
from app.quiz import play, points
from app.quiz.models import Attempt


def daily_status(user) -> Attempt | None:
    return play.find_once(user.id, f"daily:{points.local_day(play.now()).isoformat()}")


def member_panel(user):
    today = points.points_today(user.id)
    return "quiz/_panel.html", {
        "daily": daily_status(user),
        "total": points.points_total(user.id),
        "today": sum(v["points"] for v in today.values()),
        # Every way to earn, with today's progress towards its cap.
        "actions": [
            {"action": action, "label": points.ACTION_LABELS.get(action, action), **value}
            for action, value in today.items()
        ],
    }


def register() -> None:
    """Add the panel to the home page (called from the quiz domain's ``init_app``)."""
    register_panel("quiz.member", member_panel, roles=("member",), order=30)
