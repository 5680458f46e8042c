"""Home pages by role: sections that other domains fill, and the admin's system health."""

import uuid
from datetime import timedelta

import pytest
import redis
import sqlalchemy as sa

from app.core.clock import utcnow
from app.extensions import db
from app.portal import health
from app.portal.health import HealthResult, register_health_check
from app.portal.models import WorkerHeartbeat
from app.portal.panels import _panels, register_panel, sections_for
from app.portal.tasks import heartbeat_task
from tests.helpers import config_set


@pytest.mark.parametrize(
    ("roles", "present", "absent"),
    [
        (("admin",), ["admin-panel"], ["coordinator-panel", "trainer-panel", "member-panel"]),
        (("coordinator", "member"), ["coordinator-panel", "member-panel"], ["admin-panel", "trainer-panel"]),
        (("trainer", "member"), ["trainer-panel", "member-panel"], ["admin-panel", "coordinator-panel"]),
        (("member",), ["member-panel"], ["admin-panel", "coordinator-panel", "trainer-panel"]),
    ],
)
def test_each_role_gets_its_sections(client, login_as, org_tree, roles, present, absent):
    login_as(*roles, branch=org_tree["a"], name="周同志")
    page = client.get("/").get_data(as_text=True)
    assert 'data-testid="greeting">您好，周同志<' in page
    for testid in present:
        assert f'data-testid="{testid}"' in page
    for testid in absent:
        assert f'data-testid="{testid}"' not in page


def test_a_domains_panel_lands_in_the_first_matching_section_once(create_user, org_tree):
    calls = []

    def provider(user):
        calls.append(user.id)
        return "portal/panels/my_details.html", {"user": user}

    register_panel("test.both", provider, roles=("trainer", "member"), order=5)
    try:
        user = create_user("trainer", "member", branch=org_tree["a1"])
        sections = {s.role: s.keys for s in sections_for(user)}
        assert "test.both" in sections["trainer"]
        assert "test.both" not in sections["member"]
        assert calls == [user.id]
        only_member = create_user("member", branch=org_tree["a1"])
        assert "test.both" in {s.role: s.keys for s in sections_for(only_member)}["member"]
    finally:
        _panels.pop("test.both")


def test_admin_health_shows_worker_queues_disk_and_registered_checks(client, login_as):
    register_health_check(
        "test.failed_media", "转码失败", lambda: HealthResult("error", "3 个", "最近一次：文件损坏")
    )
    register_health_check("test.broken", "坏的检查", lambda: 1 / 0)
    try:
        login_as("admin")
        page = client.get("/").get_data(as_text=True)
        assert 'data-testid="health-portal.worker" data-status="unknown"' in page
        assert 'data-testid="health-portal.queues" data-status="unknown"' in page  # memory:// cannot tell
        assert 'data-testid="health-portal.disk" data-status=' in page
        assert "媒体存储所在磁盘剩余" in page
        assert 'data-testid="health-test.failed_media" data-status="error"' in page
        assert "3 个" in page
        assert 'data-testid="health-test.broken" data-status="unknown"' in page  # a broken check is no 500

        heartbeat_task.delay()
        page = client.get("/").get_data(as_text=True)
        assert 'data-testid="health-portal.worker" data-status="ok"' in page
    finally:
        health._checks.pop("test.failed_media")
        health._checks.pop("test.broken")


def test_a_silent_worker_shows_as_down(app, monkeypatch):
    heartbeat_task.delay()
    assert db.session.scalars(sa.select(WorkerHeartbeat)).one().last_seen_at is not None
    later = utcnow() + timedelta(seconds=3 * app.config["PORTAL_HEARTBEAT_SECONDS"] + 5)
    monkeypatch.setattr(health, "utcnow", lambda: later)
    result = health.worker_check()
    assert result.status == "error"
    assert "超过" in result.detail


def test_queue_lengths_from_redis(app):
    client = redis.Redis.from_url("redis://127.0.0.1:6379/0", socket_connect_timeout=0.5)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    # Queue names of our own: a real worker may be consuming "default" on this Redis.
    names = (f"hk-test-{uuid.uuid4().hex}", f"hk-test-{uuid.uuid4().hex}")
    try:
        client.rpush(names[0], "a", "b")
        client.rpush(names[1], "c")
        lengths = health.queue_lengths("redis://127.0.0.1:6379/0", names)
    finally:
        client.delete(*names)
        client.close()
    assert lengths == {names[0]: 2, names[1]: 1}
    with config_set(app, CELERY_BROKER_URL="redis://127.0.0.1:6379/0"):
        assert health.queue_check().status in {"ok", "warning"}


def test_queue_lengths_from_the_embedded_sqlalchemy_broker(tmp_path):
    path = tmp_path / "broker.sqlite"
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE kombu_queue (id INTEGER PRIMARY KEY, name VARCHAR(200))")
        conn.exec_driver_sql(
            "CREATE TABLE kombu_message (id INTEGER PRIMARY KEY, queue_id INTEGER, visible BOOLEAN)"
        )
        conn.exec_driver_sql("INSERT INTO kombu_queue VALUES (1, 'default'), (2, 'media')")
        conn.exec_driver_sql("INSERT INTO kombu_message VALUES (1, 1, 1), (2, 1, 0), (3, 2, 1)")
    engine.dispose()
    assert health.queue_lengths(f"sqla+sqlite:///{path}") == {"default": 1, "media": 1}
    assert health.queue_lengths("amqp://guest@localhost//") is None
