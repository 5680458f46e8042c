"""What every courses service shares: the domain's error and its limits."""

TITLE_MAX = 120
DEFAULT_DOCUMENT_MINUTES = 10


class CourseError(ValueError):
    """A problem the user caused, with a message in Chinese and the HTTP status to answer it with."""

    def __init__(self, message: str, status: int = 422):
        super().__init__(message)
        self.status = status
