"""What the producers of hours answer when records' pages ask — without records importing them.

Records never imports courses (or any domain that produces hours). The few read-only answers its
pages need from a producer are registered here by that producer, in the function that wires it
(``courses.services.connect()`` today; the domain's ``init_app`` once every domain has one). Until
a producer registers, records shows nothing from it.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa


@dataclass(frozen=True)
class CourseCompletion:
    """A course the member completed, as its producer states it."""

    course_id: int
    title: str
    completed_at: datetime


@dataclass(frozen=True)
class AssignedTally:
    """Assigned member × course pairs of one branch and one course: how many, completed, overdue."""

    branch_id: int | None
    course_id: int
    pairs: int
    completed: int
    overdue: int


@dataclass(frozen=True)
class AssignedCourses:
    tallies: Sequence[AssignedTally]
    titles: dict[int, str]


#: ``(user_id) -> [CourseCompletion]``, most recent first.
CompletionsProvider = Callable[[int], Sequence[CourseCompletion]]
#: ``(today, member_conditions) -> AssignedCourses``: the members are the active ``User`` rows
#: matching ``member_conditions`` (SQL conditions over ``app.accounts.models.User``).
AssignmentsProvider = Callable[[date, list], AssignedCourses]

#: ``(day) -> Select`` of two columns ``(member_id, branch_id)``: the branch each member who has
#: moved was in on ``day``. Members it leaves out are counted in their branch today.
BranchHistoryProvider = Callable[[date], sa.Select]

_completions: CompletionsProvider | None = None
_assignments: AssignmentsProvider | None = None
_branch_history: BranchHistoryProvider | None = None


def register_course_completions(provider: CompletionsProvider) -> None:
    global _completions
    _completions = provider


def register_assigned_courses(provider: AssignmentsProvider) -> None:
    global _assignments
    _assignments = provider


def register_branch_history(provider: BranchHistoryProvider | None) -> None:
    global _branch_history
    _branch_history = provider


def course_completions(user_id: int) -> Sequence[CourseCompletion]:
    return _completions(user_id) if _completions is not None else []


def assigned_courses(today: date, member_conditions: list) -> AssignedCourses:
    if _assignments is None:
        return AssignedCourses([], {})
    return _assignments(today, member_conditions)


def branch_history(day: date) -> sa.Subquery | None:
    """Where the members who moved were on ``day`` (columns ``member_id``, ``branch_id``), for
    reports of a past year to join on; None while no domain keeps a branch history."""
    if _branch_history is None:
        return None
    return _branch_history(day).subquery("branch_on_day")
