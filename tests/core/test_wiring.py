"""One shape for every domain: ``create_app`` walks a list of domains, each registers what it
contributes in its ``init_app``, and importing a module registers nothing."""

import importlib
import json
import subprocess
import sys

import pytest

from app import DOMAINS
from app.kb import authoring as kb_authoring
from app.portal.panels import sections_for
from tests.conftest import ROOT

#: Run in a fresh interpreter: import every module of the project, create no app, and report what
#: the registries hold. Celery's ``@celery.task`` is the one accepted exception: tasks are looked up
#: by name, and defining one is how Celery is used.
PROBE = r"""
import importlib, json, pkgutil
names = []
for package in ("app", "courses", "media_pipeline", "search_index"):
    module = importlib.import_module(package)
    names.append(package)
    for info in pkgutil.walk_packages(module.__path__, package + "."):
        names.append(info.name)
for name in names:
    importlib.import_module(name)
from app.core import signals
from app.portal import health, panels, probes
from app.core import backup
from media_pipeline import services as media
from search_index import registry
from app.records import sources
from app.core import moderation
from app.extensions import celery, login_manager
print(json.dumps({
    "modules": len(names),
    "panels": sorted(panels._panels),
    "health_checks": sorted(health._checks),
    "readiness_checks": sorted(probes._checks),
    "integrity_checks": sorted(backup._integrity_checks),
    "search_adapters": sorted(registry._adapters),
    "viewer_checks": len(media._viewer_checks),
    "moderated_kinds": sorted(moderation._kinds),
    "records_sources": [sources._completions is not None, sources._assignments is not None],
    "signal_receivers": {
        name: len(sig.receivers)
        for name, sig in vars(signals).items()
        if hasattr(sig, "receivers") and sig.receivers
    },
    "beat": sorted((celery.conf.beat_schedule or {})),
    "user_loader": login_manager._user_callback is not None,
}))
"""


def test_importing_every_module_registers_nothing():
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["modules"] > 100
    assert seen == {
        "modules": seen["modules"],
        "panels": [],
        "health_checks": [],
        "readiness_checks": [],
        "integrity_checks": [],
        "search_adapters": [],
        "viewer_checks": 0,
        "moderated_kinds": [],
        "records_sources": [False, False],
        "signal_receivers": {},
        "beat": [],
        "user_loader": False,
    }


def test_every_domain_is_wired_by_its_init_app(app):
    for name in DOMAINS:
        assert callable(importlib.import_module(name).init_app), name
    blueprints = set(app.blueprints)
    assert {
        "portal",
        "accounts",
        "org",
        "kb",
        "qa",
        "quiz",
        "records",
        "api",
        "media_pipeline",
        "courses",
        "search",
    } <= blueprints
    commands = set(app.cli.commands)
    assert {"users", "records", "quiz", "media", "search", "seed-demo"} <= commands
    from app.extensions import celery

    assert {
        "purge-login-failures",
        "quiz-sweep",
        "portal-heartbeat",
        "portal-purge-read-notifications",
        "courses-due-reminders",
        "search-reconcile",
        "media-sweep",
    } <= set(celery.conf.beat_schedule)


@pytest.fixture
def everyone(create_user, org_tree):
    return {
        "admin": create_user("admin", branch=org_tree["root"]),
        "coordinator": create_user("coordinator", "member", branch=org_tree["a"]),
        "trainer": create_user("trainer", "member", branch=org_tree["a1"]),
        "member": create_user(branch=org_tree["a1"]),
    }


def panel_keys(user) -> dict[str, list[str]]:
    return {section.role: section.keys for section in sections_for(user)}


def test_each_role_sees_its_home_panels(everyone):
    # An article waiting for review: the kb panel (never registered before) shows it to approvers.
    kb_authoring.create_article(everyone["trainer"], "待审文章", "正文" * 20, status="published")
    assert panel_keys(everyone["member"]) == {
        "member": ["courses.learning", "quiz.member", "portal.notices", "portal.my_details"]
    }
    trainer = panel_keys(everyone["trainer"])
    assert trainer["trainer"] == ["courses.teaching", "qa.unanswered"]
    assert trainer["member"] == ["courses.learning", "quiz.member", "portal.notices", "portal.my_details"]
    coordinator = panel_keys(everyone["coordinator"])
    assert coordinator["coordinator"] == ["portal.branch_summary", "kb.review"]
    admin = panel_keys(everyone["admin"])
    assert admin["admin"] == ["portal.branch_summary", "portal.health", "kb.review"]


def test_the_kb_review_panel_renders_on_the_home_page(client, login, everyone):
    kb_authoring.create_article(everyone["trainer"], "待审文章", "正文" * 20, status="published")
    login(everyone["coordinator"])
    page = client.get("/").get_data(as_text=True)
    assert "待审" in page or "审核" in page
