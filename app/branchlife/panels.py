"""Home panel: the member's upcoming meetings (shown only when there are some)."""

from app.branchlife import kinds, services
from app.portal.panels import register_panel


def upcoming_meetings(user):
    rows = services.upcoming_for(user, limit=3)
    return ("branchlife/panels/upcoming.html", {"rows": rows, "label": kinds.label}) if rows else None


def register_panels() -> None:
    register_panel("branchlife.upcoming", upcoming_meetings, roles=("member",), order=15)
