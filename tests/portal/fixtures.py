"""Fixtures shared by the knowledge-base, Q&A and portal tests (imported by their conftest files)."""

import pytest
import sqlalchemy as sa

from app.accounts import services as account_services
from app.extensions import db
from app.portal.models import Notification
from tests.conftest import PASSWORD, FreshContextClient


@pytest.fixture
def as_user(app):
    """``as_user(user)`` → a test client of its own, signed in as ``user`` (several people, one test)."""

    def factory(user):
        app.test_client_class = FreshContextClient
        client = app.test_client()
        response = client.post("/login", data={"identifier": user.employee_no, "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return factory


@pytest.fixture
def api_as(client):
    """``api_as(user).post(url, json=...)``: requests with a fresh personal API token of ``user``."""

    class Caller:
        def __init__(self, user):
            _token, plain = account_services.issue_api_token(user, "测试", actor=user)
            db.session.commit()
            self.headers = {"Authorization": f"Bearer {plain}"}

        def get(self, url):
            return client.get(url, headers=self.headers)

        def post(self, url, **kwargs):
            return client.post(url, headers=self.headers, **kwargs)

        def patch(self, url, **kwargs):
            return client.patch(url, headers=self.headers, **kwargs)

    return Caller


def notifications_of(user) -> list[Notification]:
    """The user's notifications, newest first, read fresh from the database."""
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(Notification).where(Notification.user_id == user.id).order_by(Notification.id.desc())
        )
    )
