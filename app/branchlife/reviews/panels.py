"""Home panels: a member with a ballot waiting in an open voting window; whoever runs a round whose
vote has closed and whose grades wait to be recorded."""

from app.branchlife.reviews import services
from app.portal.panels import register_panel


def open_ballots(user):
    rounds = services.open_ballots_for(user)
    return ("branchlife/review/panel.html", {"rounds": rounds}) if rounds else None


def rounds_to_grade(user):
    rounds = services.rounds_to_grade(user)
    return ("branchlife/review/panel_grade.html", {"rounds": rounds}) if rounds else None


def register_review_panels() -> None:
    register_panel("branchlife.review_ballot", open_ballots, roles=("member",), order=5)
    # Secretaries are members by position: the panel is registered for every role that may run a round.
    register_panel(
        "branchlife.review_grades", rounds_to_grade, roles=("admin", "coordinator", "member"), order=6
    )
