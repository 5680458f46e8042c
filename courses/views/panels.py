"""The courses domain's home-page panels: a member's learning, a trainer's courses."""

from app.extensions import db
from app.portal.panels import register_panel
from courses import assignments as assignment_services
from courses import services

# --- home-page panels -----------------------------------------------------------------------------


def member_panel(user):
    assigned = assignment_services.assigned_courses(user.id, open_only=True)[:5]
    recent = [c for c in services.my_courses(user) if c.enrollment.completed_at is None][:3]
    return "courses/_panel_member.html", {"assigned": assigned, "recent": recent}


def trainer_panel(user):
    courses = db.session.scalars(services.trainer_courses_query(user).limit(5)).all()
    return "courses/_panel_trainer.html", {
        "courses": courses,
        "pending": services.pending_media_lessons(user, 10),
    }


def register() -> None:
    """Add the panels to the home page (called when the courses blueprint is registered)."""
    register_panel("courses.learning", member_panel, roles=("member",), order=10)
    register_panel("courses.teaching", trainer_panel, roles=("trainer",), order=20)
