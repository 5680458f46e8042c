"""Learning hours (学时): server-verified playback progress, the tamper-evident hours ledger,
yearly targets, training records, coordinator tracking and exports. The only writer of hours."""


def init_app(app) -> None:
    from app.records import models, receivers  # noqa: F401 -- the tables
    from app.records.cli import records_cli
    from app.records.views import bp

    app.register_blueprint(bp)
    receivers.connect()
    app.cli.add_command(records_cli)
