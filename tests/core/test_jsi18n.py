"""The scripts speak the visitor's language: every string they show is in the catalog."""

import re

from app.core.jsi18n import JS_STRINGS, js_catalog
from tests.conftest import ROOT

SCRIPTS = [
    *sorted((ROOT / "app" / "static" / "js").glob("*.js")),
    *sorted((ROOT / "courses" / "static").glob("*.js")),
    *sorted((ROOT / "media_pipeline" / "static").glob("*.js")),
]
CHINESE_LITERAL = re.compile(r"""(["'])([^"'\n]*[\u4e00-\u9fff][^"'\n]*)\1""")


def test_every_chinese_string_in_a_script_goes_through_hkT_and_is_listed():
    for path in SCRIPTS:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if line.strip().startswith("//"):
                continue
            for match in CHINESE_LITERAL.finditer(line):
                text = match.group(2)
                assert f"hkT({match.group(0)}" in line, f"{path.name}:{number}: {text} is shown untranslated"
                assert text in JS_STRINGS, f"{path.name}:{number}: {text} is missing from app/core/jsi18n.py"


def test_chinese_pages_carry_no_script_catalog(app):
    with app.app_context(), app.test_request_context("/", headers={"Accept-Language": "zh-CN"}):
        assert js_catalog() == {}


def test_english_pages_carry_every_script_string_translated(app):
    with app.app_context(), app.test_request_context("/", headers={"Accept-Language": "en"}):
        catalog = js_catalog()
    missing = [text for text in JS_STRINGS if text not in catalog]
    assert missing == []
    placeholders = re.compile(r"\{(\w+)\}")
    for text, translated in catalog.items():
        assert set(placeholders.findall(text)) == set(placeholders.findall(translated)), text


def test_the_page_carries_the_catalog_and_the_helper(client, login, create_user):
    login(create_user())
    client.post("/account/language/en", data={"next": "/"})
    page = client.get("/quiz/").get_data(as_text=True)
    assert "data-i18n=" in page
    assert re.search(r"js/i18n\.[0-9a-f]{12}\.js", page)
