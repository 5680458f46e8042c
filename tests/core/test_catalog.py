"""The English catalog keeps up with the code: every message the code uses is translated, and
every translation keeps the placeholders the code fills in."""

import re
import subprocess
import sys
from collections import Counter

import pytest
from babel.messages.pofile import read_po

from tests.conftest import ROOT

ENGLISH_PO = ROOT / "app" / "translations" / "en" / "LC_MESSAGES" / "messages.po"
# The same extraction as the one that produced app/translations/messages.pot.
EXTRACT = ["extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext", "-k", "N_", "--no-location"]
PLACEHOLDER = re.compile(r"%\(\w+\)[sdifr]|%[sdif]|\{\w*\}")


@pytest.fixture(scope="module")
def code_msgids(tmp_path_factory):
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", *EXTRACT, "-o", str(pot), "."],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=60,
    )
    with pot.open("rb") as handle:
        return [message.id for message in read_po(handle) if message.id]


@pytest.fixture(scope="module")
def english():
    with ENGLISH_PO.open("rb") as handle:
        return read_po(handle)


def test_every_message_the_code_uses_has_an_english_translation(code_msgids, english):
    assert len(code_msgids) > 1000  # the extraction really read the code
    missing = [msgid for msgid in code_msgids if msgid not in english or not english[msgid].string]
    assert missing == [], (
        f"{len(missing)} messages have no English translation in {ENGLISH_PO.relative_to(ROOT)} "
        "(extract, `pybabel update --no-fuzzy-matching`, translate):\n" + "\n".join(missing)
    )


def test_no_english_translation_is_fuzzy(code_msgids, english):
    fuzzy = [msgid for msgid in code_msgids if msgid in english and english[msgid].fuzzy]
    assert fuzzy == [], "fuzzy (unchecked) English translations:\n" + "\n".join(fuzzy)


def test_every_translation_keeps_the_placeholders_of_its_message(english):
    changed = [
        f"{message.id!r} -> {message.string!r}"
        for message in english
        if message.id
        and message.string
        and Counter(PLACEHOLDER.findall(message.id)) != Counter(PLACEHOLDER.findall(message.string))
    ]
    assert changed == [], "translations whose placeholders differ from the message:\n" + "\n".join(changed)
