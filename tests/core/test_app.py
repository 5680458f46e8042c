from datetime import UTC

import pytest

from app import create_app
from app.config import ProdConfig
from app.core import clock


def test_production_config_refuses_to_start_without_secret_key(monkeypatch):
    class NoSecret(ProdConfig):
        SECRET_KEY = None

    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(NoSecret)


def test_clock_is_aware_utc():
    now = clock.utcnow()
    assert now.tzinfo is not None
    assert now.utcoffset() == UTC.utcoffset(now)


def test_unknown_page_is_a_friendly_404_in_chinese(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "页面不存在" in response.get_data(as_text=True)


def test_home_redirects_anonymous_users_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_bootstrap_is_served_locally_not_from_a_cdn(client):
    page = client.get("/login").get_data(as_text=True)
    assert "cdn" not in page.lower()
    assert "/bootstrap/static/" in page


def test_english_is_selectable(client, app):
    response = client.post("/lang/en", data={"next": "/login"})
    assert response.status_code == 302
    page = client.get("/login").get_data(as_text=True)
    assert 'lang="en"' in page
    assert "Log in" in page


def test_session_cookie_flags(app):
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert ProdConfig.SESSION_COOKIE_SECURE is True
