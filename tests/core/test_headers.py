"""Security headers on every response (app/core/headers.py)."""

from flask import Blueprint

from app.core.headers import allows_camera
from tests.helpers import config_set


def test_every_response_carries_the_policy_with_no_inline_script(client):
    for path in ("/login", "/no-such-page", "/static/js/site.js"):
        response = client.get(path)
        policy = response.headers["Content-Security-Policy"]
        script_src = next(part for part in policy.split("; ") if part.startswith("script-src"))
        assert script_src.split()[:2] == ["script-src", "'self'"]
        assert "'unsafe-inline'" not in script_src
        assert "'unsafe-eval'" not in script_src.split()
        assert "frame-ancestors 'none'" in policy
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert "camera=()" in response.headers["Permissions-Policy"]


def test_hsts_only_over_https_and_only_when_configured(app, client):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    with config_set(app, HSTS_SECONDS=31536000):
        assert "Strict-Transport-Security" not in client.get("/login").headers
        secure = client.get("/login", base_url="https://localhost")
        assert secure.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_only_a_page_marked_for_the_camera_may_use_it(app):
    from app import create_app
    from app.config import TestConfig

    scanning = create_app(TestConfig)
    bp = Blueprint("scan_probe", __name__)

    @bp.get("/scan-probe")
    @allows_camera
    def scan():
        return "scan"

    @bp.get("/plain-probe")
    def plain():
        return "plain"

    scanning.register_blueprint(bp)
    client = scanning.test_client()
    assert "camera=(self)" in client.get("/scan-probe").headers["Permissions-Policy"]
    assert "camera=()" in client.get("/plain-probe").headers["Permissions-Policy"]
