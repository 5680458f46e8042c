"""What every courses service shares: the domain's error and URLs built outside a request."""

from flask import current_app, has_request_context, url_for

TITLE_MAX = 120
DEFAULT_DOCUMENT_MINUTES = 10


class CourseError(ValueError):
    """A problem the user caused, with a message in Chinese and the HTTP status to answer it with."""

    def __init__(self, message: str, status: int = 422):
        super().__init__(message)
        self.status = status


def page_url(endpoint: str, **values) -> str:
    """A page's path, inside a request or not (a worker sending a notification)."""
    if has_request_context():
        return url_for(endpoint, **values)
    return current_app.url_map.bind("").build(endpoint, values)
