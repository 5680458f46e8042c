"""Links that services put into notifications: built with or without a request."""

from flask import current_app, has_request_context, url_for


def site_path(endpoint: str, **values) -> str:
    """The site path of ``endpoint`` (``/qa/12``): ``url_for`` in a request; the app's URL map
    otherwise (a Celery task, the CLI, a test calling a service), where there is no host to know."""
    if has_request_context():
        return url_for(endpoint, **values)
    adapter = current_app.url_map.bind(
        "localhost", script_name=current_app.config.get("APPLICATION_ROOT", "/")
    )
    return adapter.build(endpoint, values)
