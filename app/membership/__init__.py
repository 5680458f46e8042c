"""Member lifecycle (党员管理): the 发展党员 process and its rules, 组织关系转接 with branch history,
the signed 二维码名片, and the member archive with audited access."""


def init_app(app) -> None:
    from app.core.signals import categories_reported, review_graded, user_branch_changed
    from app.core.tasks import schedule
    from app.membership import models, panels, tasks  # noqa: F401 -- the tables and the tasks
    from app.membership.services.archive import on_review_graded
    from app.membership.services.baseline import on_categories_reported
    from app.membership.services.transfers import branches_on, on_branch_changed
    from app.membership.views import bp
    from app.records.sources import register_branch_history

    app.register_blueprint(bp)
    panels.register_membership_panels()
    user_branch_changed.connect(on_branch_changed)
    review_graded.connect(on_review_graded)
    categories_reported.connect(on_categories_reported)
    register_branch_history(branches_on)
    schedule(app, "membership-reminders", "membership.send_reminders", 6 * 3600.0)
