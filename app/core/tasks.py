"""Celery bound to the Flask application: every task runs inside an app context."""

from celery import Task
from kombu import Exchange, Queue

from app.extensions import celery, db


def init_celery(app) -> None:
    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                try:
                    return self.run(*args, **kwargs)
                finally:
                    db.session.remove()

    broker = app.config["CELERY_BROKER_URL"]
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
        ),
        task_default_exchange="default",
        task_default_routing_key="default",
        task_routes={"media_pipeline.*": {"queue": "media"}},
        task_serializer="json",
        accept_content=["json"],
        result_expires=24 * 3600,
        timezone="Asia/Shanghai",
        enable_utc=True,
        worker_hijack_root_logger=False,
        broker_connection_retry_on_startup=True,
        beat_schedule_filename=app.config["CELERY_BEAT_SCHEDULE_FILE"],
        beat_schedule={
            "purge-login-failures": {"task": "accounts.purge_login_failures", "schedule": 3600.0},
        },
    )
    if broker.startswith("sqla+"):
        # kombu's SQLAlchemy transport hands these to create_engine: the web process, the worker and
        # beat all write the broker file, so wait for its lock instead of failing at once.
        celery.conf.broker_transport_options = {"connect_args": {"timeout": 30}}
    elif broker.startswith(("redis://", "rediss://")):
        timeout = app.config["CELERY_VISIBILITY_TIMEOUT"]
        celery.conf.broker_transport_options = {"visibility_timeout": timeout}
        celery.conf.result_backend_transport_options = {"visibility_timeout": timeout}
    else:
        celery.conf.broker_transport_options = {}
    celery.set_default()
    app.extensions["celery"] = celery
