"""Organisation life (组织生活): 三会一课, 主题党日, 组织生活会, 民主评议党员, compliance, branch pages."""


def init_app(app) -> None:
    from app.branchlife import reviews

    reviews.init_app(app)
