"""Organisation-life services: plain ``verb_noun(actor, ...)`` functions; the caller commits.

Split by stage: ``access`` (who may do what), ``planning`` (record, plan, publish, remind),
``attendance`` (leave, check-in codes, check-in, marking present), ``closing`` (finalise, amend).
"""

from app.branchlife.services.access import (  # noqa: F401 -- re-exported
    BranchLifeError,
    can_plan,
    can_see,
    get_meeting_for,
    plannable_branches,
)
from app.branchlife.services.attendance import (  # noqa: F401 -- re-exported
    CheckinCode,
    card_attendee,
    check_in,
    check_in_by_card,
    checkin_code,
    decide_leave,
    mark_present,
    request_leave,
)
from app.branchlife.services.changes import cancel_meeting, edit_meeting  # noqa: F401
from app.branchlife.services.closing import amend_summary, finalise_meeting  # noqa: F401
from app.branchlife.services.evidence import add_file, add_photo  # noqa: F401
from app.branchlife.services.groups import (  # noqa: F401 -- re-exported
    create_group,
    delete_group,
    groups_of,
    member_ids_of,
    set_group_members,
)
from app.branchlife.services.notes import notes_of, record_criticism, write_self_criticism  # noqa: F401
from app.branchlife.services.open_meetings import upcoming_open_meetings  # noqa: F401
from app.branchlife.services.planning import (  # noqa: F401 -- re-exported
    MeetingData,
    MeetingPlan,
    attendance_rows,
    meetings_query,
    plan_meeting,
    publish_meeting,
    record_meeting,
    remind_tomorrow,
    upcoming_for,
)
