"""/healthz and /readyz: answered without login, revealing nothing but which part is down."""

import pytest

from app.portal import probes
from tests.helpers import config_set


def test_liveness_answers_anyone_without_touching_anything(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_readiness_checks_the_database_broker_media_and_search(client):
    assert set(probes._checks) >= {"database", "broker", "media", "search"}
    response = client.get("/readyz")
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"status": "ready"}


def test_a_broker_that_is_down_makes_the_site_not_ready_and_says_only_that(app, client):
    with config_set(app, CELERY_BROKER_URL="redis://127.0.0.1:1/0"):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "failed": ["broker"]}
    assert "127.0.0.1" not in response.get_data(as_text=True)


def test_an_unwritable_media_store_makes_the_site_not_ready(app, client, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with config_set(app, MEDIA_ROOT=str(blocker / "media")):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["failed"] == ["media"]


def test_a_folder_not_yet_created_is_ready_when_it_can_be(app, client, tmp_path):
    with config_set(app, SEARCH_INDEX_DIR=str(tmp_path / "later" / "search")):
        assert client.get("/readyz").status_code == 200


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_need_no_login_and_carry_the_security_headers(client, path):
    response = client.get(path)
    assert response.status_code in (200, 503)
    assert "Content-Security-Policy" in response.headers
