"""Learning-hours accounting. The server, not the client, decides what counts.

Heartbeats from the player are judged against the previous heartbeat of the same playback session
with the server's clock: media time counts only while the page was visible and playing, only as
fast as wall time × the allowed rate (plus a small tolerance), and a silence counts for at most one
heartbeat interval. What counts is merged into the member's played intervals of the lesson; when
coverage reaches the lesson's threshold (and its gating quiz is passed) the lesson's hours are
appended to the member's hash-chained ledger, exactly once.

The package is split by responsibility (base, accounting, ledger, xapi, targets); the names below
are re-exported for callers outside records (the API, courses, meetings, tests).
"""

from app.records.services.accounting import (  # noqa: F401 -- re-exported
    Heartbeat,
    LessonFacts,
    LessonProgressView,
    OpenCheck,
    ProgressState,
    covered,
    merge_interval,
    note_quiz_passed,
    parse_heartbeat,
    progress_map,
    record_heartbeat,
)
from app.records.services.base import (  # noqa: F401 -- re-exported
    CADRE_POSITIONS,
    EVENTS,
    GENESIS_HASH,
    TEXT_KINDS,
    AccountingPolicy,
    HoursPolicy,
    RecordsError,
)
from app.records.services.ledger import (  # noqa: F401 -- re-exported
    EARLIEST_DAY,
    RECORDED_BY_OTHERS,
    ChainProblem,
    EntryDraft,
    append_entries,
    append_entry,
    check_day,
    credit_offline_hours,
    hours_for_minutes,
    occurred_at_noon,
    reverse_entry,
    verify_ledger,
)
from app.records.services.meetings import (  # noqa: F401 -- re-exported
    MeetingCredit,
    credit_meeting,
    meeting_entries,
    meeting_hours,
)
from app.records.services.targets import (  # noqa: F401 -- re-exported
    CompletedCourse,
    completed_courses,
    credited_for_course,
    entries_for,
    hours_by_source,
    hours_by_year,
    target_expression,
    target_for,
    year_hours_of,
)
from app.records.services.xapi import (  # noqa: F401 -- re-exported
    record_statement,
)
