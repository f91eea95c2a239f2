"""Translation completeness: every msgid of the zh-Hans catalogues has a translation (none empty,
none fuzzy) and reads as ours at run time (not Django's own wording of the same msgid), every
visible string of a template is marked for translation, and every model the platform admin shows
has a Chinese name (as its app has)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib import admin
from django.utils import translation

ROOT = Path(__file__).resolve().parents[2]  # fenxiao/
CJK = re.compile(r"[\u4e00-\u9fff]")

#: Visible template text that is the same in every language: technical tokens and the language
#: switch, which names each language in itself.
NOT_WORDS = {
    "RFM",
    "fxk_ _…",
    "evt_",
    "Idempotency-Key",
    "ms",
    'curl -H "Authorization: Bearer  "  :// /api/v1/products',
    "English 简体中文",
    "console",  # base_console.html's body class block
}


def _strings(block: str, keyword: str) -> list[str]:
    """The (joined, multi-line) strings of ``keyword`` lines in one catalogue entry."""
    found, current = [], None
    for line in block.splitlines():
        if line.startswith(keyword):
            current = [re.match(r'^\S+\s+"(.*)"$', line).group(1)]
            found.append(current)
        elif line.startswith('"') and current is not None:
            current.append(line[1:-1])
        else:
            current = None
    return ["".join(parts) for parts in found]


def untranslated(po: Path) -> list[str]:
    """The msgids of ``po`` with an empty (or fuzzy) translation."""
    missing = []
    for block in po.read_text(encoding="utf-8").split("\n\n"):
        lines = [line for line in block.splitlines() if not line.startswith("#~")]
        block = "\n".join(lines)
        msgids = _strings(block, "msgid ")
        if not msgids or not msgids[0]:
            continue  # the header
        msgstrs = _strings(block, "msgstr")
        fuzzy = any(line.startswith("#,") and "fuzzy" in line for line in lines)
        if fuzzy or not msgstrs or not all(msgstrs):
            missing.append(msgids[0])
    return missing


CATALOGUES = sorted(ROOT.glob("*/locale/zh_Hans/LC_MESSAGES/django.po")) + [
    ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"  # LOCALE_PATHS: ours over Django's
]


def _unescape(text: str) -> str:
    return text.replace("\\n", "\n").replace('\\"', '"').replace("\\\\", "\\")


def translations(po: Path) -> dict[str, str]:
    """{msgid: msgstr} of the simple entries (no context, no plural) of ``po``."""
    found = {}
    for block in po.read_text(encoding="utf-8").split("\n\n"):
        if "msgctxt" in block or "msgid_plural" in block or block.lstrip().startswith("#~"):
            continue
        msgids, msgstrs = _strings(block, "msgid "), _strings(block, "msgstr")
        if msgids and msgids[0] and msgstrs:
            found[_unescape(msgids[0])] = _unescape(msgstrs[0])
    return found


def test_there_are_catalogues():
    assert len(CATALOGUES) >= 10


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: p.parts[-5])
def test_every_msgid_has_a_translation(po):
    assert untranslated(po) == []


def test_no_msgid_of_ours_reads_as_djangos_own_wording():
    """Django's apps come first in INSTALLED_APPS, so their catalogues win for a msgid both
    translate ("Filter" read 过滤器); ``fenxiao/locale`` (LOCALE_PATHS) holds our wording then."""
    ours: dict[str, set[str]] = {}
    for po in CATALOGUES:
        for msgid, msgstr in translations(po).items():
            ours.setdefault(msgid, set()).add(msgstr)
    with translation.override("zh-hans"):
        shadowed = {
            msgid: translation.gettext(msgid)
            for msgid, wordings in ours.items()
            if translation.gettext(msgid) not in wordings
        }
    assert shadowed == {}


def test_the_check_finds_an_empty_or_fuzzy_translation(tmp_path):
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: zh_Hans\\n"\n\n'
        'msgid "Done"\nmsgstr "完成"\n\n'
        'msgid "Empty"\nmsgstr ""\n\n'
        '#, fuzzy\nmsgid "Guess"\nmsgstr "猜"\n\n'
        'msgid ""\n"Long "\n"text"\nmsgstr ""\n"长"\n"文"\n',
        encoding="utf-8",
    )
    assert untranslated(po) == ["Empty", "Guess"]


def unmarked(template: Path) -> list[str]:
    """Visible text of ``template`` outside ``{% translate %}`` / ``{% blocktranslate %}``: text
    between tags and the placeholder, title, aria-label and alt attributes."""
    text = template.read_text(encoding="utf-8")
    text = re.sub(r"\{%\s*blocktrans(?:late)?\b.*?\{%\s*endblocktrans(?:late)?\s*%\}", " ", text, flags=re.S)
    text = re.sub(r"<script.*?</script>|<style.*?</style>|\{#.*?#\}", " ", text, flags=re.S)
    text = re.sub(r"\{%.*?%\}|\{\{.*?\}\}", " ", text, flags=re.S)
    found = re.findall(r'\b(?:placeholder|title|aria-label|alt)="([^"]*[A-Za-z]{2,}[^"]*)"', text)
    found += [part.strip() for part in re.sub(r"<[^>]*>", "\n", text).split("\n")]
    return [
        part
        for part in found
        if re.search(r"[A-Za-z]{2,}", part) and part not in NOT_WORDS and not _known(part)
    ]


def _known(part: str) -> bool:
    """Text made only of punctuation around a technical token (``· RFM``)."""
    words = re.findall(r"[A-Za-z][A-Za-z_-]*", part)
    return all(word in NOT_WORDS for word in words)


TEMPLATES = sorted(ROOT.glob("*/templates/**/*.html"))


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_template_string_is_marked_for_translation(template):
    assert unmarked(template) == []


def test_the_check_finds_an_unmarked_string(tmp_path):
    page = tmp_path / "page.html"
    page.write_text(
        '{% load i18n %}<h1>{% translate "Orders" %}</h1><p>Order history</p>'
        '<input placeholder="Search"><p>{% blocktranslate %}Hello {{ name }}{% endblocktranslate %}</p>'
    )
    assert unmarked(page) == ["Search", "Order history"]


def test_every_admin_model_has_a_chinese_name():
    untranslated_names = []
    with translation.override("zh-hans"):
        for model in admin.site._registry:
            app = apps.get_app_config(model._meta.app_label)
            for name in (model._meta.verbose_name, model._meta.verbose_name_plural, app.verbose_name):
                if not CJK.search(str(name)):
                    untranslated_names.append(f"{model._meta.label}: {name}")
    assert untranslated_names == []


@pytest.mark.django_db
def test_labels_the_issue_found_read_right_in_chinese(client):
    """A brand's product form says 分类 (not "Category"), coupon names sit under 名称 (not 姓名),
    the audit log's details under 详情 (not 商品详情), filter buttons say 筛选 (not 过滤器)."""
    from fenxiao.accounts.roles import BrandRole
    from fenxiao.accounts.tests.factories import BrandStaffFactory, UserFactory

    owner = BrandStaffFactory(role=BrandRole.OWNER)
    client.force_login(owner.user)
    headers = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
    form = client.get(f"/console/b/{owner.brand_id}/products/new/", **headers).content.decode()
    assert 'for="id_category">分类' in form and ">Category" not in form
    marketing = client.get(f"/console/b/{owner.brand_id}/marketing/", **headers).content.decode()
    assert "<th>名称</th>" in marketing and "姓名" not in marketing
    products = client.get(f"/console/b/{owner.brand_id}/products/", **headers).content.decode()
    assert "筛选" in products and "过滤器" not in products
    client.force_login(UserFactory(is_staff=True))
    audit = client.get("/platform/audit/", **headers).content.decode()
    assert "<th>详情</th>" in audit and "商品详情" not in audit
