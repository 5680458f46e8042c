"""What every courses service shares: the domain's error and its limits."""

from app.core.errors import DomainError

TITLE_MAX = 120
DEFAULT_DOCUMENT_MINUTES = 10


class CourseError(DomainError):
    """A problem the user caused: ``(message, status=422, field=None)``, as every domain error."""
