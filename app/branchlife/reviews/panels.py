"""Home panel: a member with a ballot waiting in an open voting window."""

from app.branchlife.reviews import services
from app.portal.panels import register_panel


def open_ballots(user):
    rounds = services.open_ballots_for(user)
    return ("branchlife/review/panel.html", {"rounds": rounds}) if rounds else None


def register_review_panels() -> None:
    register_panel("branchlife.review_ballot", open_ballots, roles=("member",), order=5)
