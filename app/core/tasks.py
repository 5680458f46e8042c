"""Celery bound to the Flask application: every task runs inside an app context."""

from celery import Task
from flask import current_app, has_app_context
from kombu import Exchange, Queue

from app.extensions import celery, db


class FlaskTask(Task):
    """Runs in a fresh app context with its own database session, like a worker's task.

    Run eagerly (tests, ``CELERY_TASK_ALWAYS_EAGER``) inside a request or a command, it uses the
    app already in context — the live server's in a browser test — not the one Celery was bound to
    first; callers enqueue after they commit, so the task sees their rows.
    """

    def __call__(self, *args, **kwargs):
        flask_app = current_app._get_current_object() if has_app_context() else self.app.flask_app
        with flask_app.app_context():
            try:
                return self.run(*args, **kwargs)
            finally:
                db.session.remove()


def _forget_connections() -> None:
    """Celery caches its result backend and broker pools from the configuration it first used;
    binding it again (a second app in one process: tests, benchmarks) must not keep the old ones."""
    celery._backend_cache = None
    vars(celery._local).pop("backend", None)
    celery._pool = None
    if "amqp" in vars(celery):
        celery.amqp._producer_pool = None


def schedule(app, name: str, task: str, every, **options) -> None:
    """Run ``task`` periodically from beat: ``every`` seconds, or a ``crontab``. Called by a domain's
    ``init_app``; ``options`` (e.g. ``queue``) go to the task's message. Kept on the app, so binding
    Celery to it again (:func:`init_celery`) brings its schedule back."""
    entry = {"task": task, "schedule": every}
    if options:
        entry["options"] = options
    app.extensions.setdefault("hongke_beat", {})[name] = entry
    if getattr(celery, "flask_app", None) is app:
        celery.conf.beat_schedule = dict(app.extensions["hongke_beat"])


def init_celery(app) -> None:
    broker = app.config["CELERY_BROKER_URL"]
    _forget_connections()
    celery.flask_app = app
    celery.Task = FlaskTask
    celery.conf.update(
        broker_url=broker,
        result_backend=app.config["CELERY_RESULT_BACKEND"],
        task_always_eager=app.config["CELERY_TASK_ALWAYS_EAGER"],
        task_eager_propagates=True,
        task_default_queue="default",
        # Explicit exchanges: two queues bound to one exchange with the same key would each get a copy.
        task_queues=(
            Queue("default", Exchange("default", type="direct"), routing_key="default"),
            Queue("media", Exchange("media", type="direct"), routing_key="media"),
            # The search index's single writer: its worker runs with --concurrency 1.
            Queue("search", Exchange("search", type="direct"), routing_key="search"),
        ),
        task_default_exchange="default",
        task_default_routing_key="default",
        task_routes={"media_pipeline.*": {"queue": "media"}, "search_index.*": {"queue": "search"}},
        # Long tasks are acks_late: a worker must not hold a second message it cannot start.
        worker_prefetch_multiplier=1,
        task_serializer="json",
        accept_content=["json"],
        result_expires=24 * 3600,
        timezone="Asia/Shanghai",
        enable_utc=True,
        worker_hijack_root_logger=False,
        broker_connection_retry_on_startup=True,
        beat_schedule_filename=app.config["CELERY_BEAT_SCHEDULE_FILE"],
        # Each domain adds its periodic tasks from its init_app (see :func:`schedule`).
        beat_schedule=dict(app.extensions.get("hongke_beat", {})),
    )
    if broker.startswith("sqla+"):
        # kombu's SQLAlchemy transport hands these to create_engine: the web process, the worker and
        # beat all write the broker file, so wait for its lock instead of failing at once.
        celery.conf.broker_transport_options = {"connect_args": {"timeout": 30}}
    elif broker.startswith(("redis://", "rediss://")):
        timeout = app.config["CELERY_VISIBILITY_TIMEOUT"]
        # Scan for unacknowledged messages on every sweep (not every tenth), so a task whose worker
        # died is handed on soon after its visibility timeout instead of minutes later.
        celery.conf.broker_transport_options = {"visibility_timeout": timeout, "unacked_restore_throttle": 1}
        celery.conf.result_backend_transport_options = {"visibility_timeout": timeout}
    else:
        celery.conf.broker_transport_options = {}
    celery.set_default()
    app.extensions["celery"] = celery
