"""The German catalogue is complete: every string the code and templates mark for translation (extracted as
`make i18n` does) has a German text, and the catalogue keeps no entry that nothing uses any more."""

import re
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent


def _extract_command() -> list[str]:
    """The Makefile's extract line, so this test reads the keywords `make i18n` uses."""
    line = re.search(r"pybabel extract (.+) -o ", (ROOT / "Makefile").read_text()).group(1)
    return [sys.executable, "-m", "babel.messages.frontend", "extract", *line.split()]


def test_every_marked_string_has_its_german_text_and_none_is_left_over(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run([*_extract_command(), "-o", str(pot), "."], cwd=ROOT, check=True, capture_output=True)
    wanted = {m.id for m in read_po(pot.open("rb")) if m.id}
    catalogue = read_po((ROOT / "translations/de/LC_MESSAGES/messages.po").open("rb"))
    have = {m.id: m.string for m in catalogue if m.id}
    untranslated = [w for w in wanted if not have.get(w) or (isinstance(have[w], tuple) and not all(have[w]))]
    assert sorted(map(str, untranslated)) == []
    assert sorted(map(str, set(have) - wanted)) == []
