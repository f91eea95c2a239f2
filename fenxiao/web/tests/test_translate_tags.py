"""Every ``{% translate "…" %}`` of a template finds its zh-Hans translation.

Django looks a ``{% translate %}`` literal up with each ``%`` doubled ("Rate (%)" is looked up as
"Rate (%%)"), so a catalogue entry written for the same words in Python (``gettext("Rate (%)")``)
does not serve the template: the page then shows English.  This test reads every template's
literals the way Django does and requires each to be a msgid of one of our catalogues."""

from __future__ import annotations

import re

import pytest

from .test_translation_completeness import CATALOGUES, ROOT, TEMPLATES, translations

TRANSLATE = re.compile(r"\{%\s*translate\s+(['\"])(.*?)\1(\s+context\s)?")


def template_msgids(text: str) -> list[str]:
    """The msgids Django looks up for the template's ``{% translate %}`` literals (no context)."""
    return [m.group(2).replace("%", "%%") for m in TRANSLATE.finditer(text) if not m.group(3)]


def test_a_percent_sign_is_doubled_as_django_looks_it_up():
    assert template_msgids("{% translate \"Rate (%)\" %} {% translate 'Name' %}") == ["Rate (%%)", "Name"]


@pytest.fixture(scope="module")
def known() -> set[str]:
    ids: set[str] = set()
    for po in CATALOGUES:
        ids |= set(translations(po))
    return ids


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_translate_tag_has_a_translation(template, known):
    missing = [
        msgid
        for msgid in template_msgids(template.read_text(encoding="utf-8"))
        if re.search(r"[A-Za-z]{2,}", msgid) and msgid not in known
    ]
    assert missing == []
