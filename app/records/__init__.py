"""Learning hours (学时): server-verified playback progress, the tamper-evident hours ledger,
yearly targets, training records, coordinator tracking and exports, PDF certificates and their
public verification. The only writer of hours."""


def init_app(app) -> None:
    from flask_babel import lazy_gettext as _l

    from app.core.backup import register_integrity_check
    from app.core.tasks import schedule
    from app.portal.health import register_health_check
    from app.records import certificate_views, lrs, models, receivers, tasks  # noqa: F401 -- tables, tasks
    from app.records.cli import records_cli
    from app.records.views import bp

    app.register_blueprint(bp)
    app.register_blueprint(certificate_views.verify_bp)
    receivers.connect()
    app.cli.add_command(records_cli)
    register_integrity_check("records", ledger_problems)
    register_health_check("records.xapi", _l("xAPI 学习记录发送"), lrs.health_check, order=60)
    schedule(app, "records-xapi-send", "records.send_xapi_statements", float(app.config["XAPI_SEND_SECONDS"]))
    schedule(app, "records-proof-exports-sweep", "records.sweep_proof_exports", 3600.0)


def ledger_problems():
    """The hours ledger's verification, one line per problem (run after a restore)."""
    from app.records.services.ledger import verify_ledger

    for problem in verify_ledger():
        yield f"#{problem.entry_id or '-'} ({problem.user_id}): {problem.message}"
