"""The sign-in page prefetches the list page's browser code: which files, and when."""

import re

import pytest
from streamlit.testing.v1 import AppTest

from bookings.model import Role
from tests.helpers import ROOT, sign_in
from ui import prefetch


@pytest.mark.parametrize("element", prefetch.LIST_ELEMENTS)
def test_each_list_element_has_one_chunk_in_this_streamlit(element):
    """A Streamlit upgrade that renames an element's chunk fails here, not silently."""
    assert len(prefetch.entry_chunks(prefetch.STATIC / "js", [element], ".js")) == 1


@pytest.mark.parametrize("font", prefetch.LIST_FONTS)
def test_each_list_font_is_in_this_streamlit(font):
    assert len(prefetch.entry_chunks(prefetch.STATIC / "media", [font], ".woff2")) == 1


def test_the_files_are_the_chunks_with_all_they_import():
    files = prefetch.list_page_files()
    assert all((prefetch.STATIC / name).is_file() for name in files)
    grid = next(name for name in files if re.fullmatch(r"js/DataFrame\.[\w\-]+\.js", name))
    imported = prefetch._STATIC_IMPORT.findall((prefetch.STATIC / grid).read_text())
    assert imported and {f"js/{name}" for name in imported} <= set(files)
    assert any(name.startswith("css/DataFrame.") for name in files)
    # On demand only (the chart's library): left to when a chart is drawn.
    assert not any(name.startswith("js/embed.") for name in files)


def prefetch_scripts(at: AppTest) -> list[str]:
    return [e.proto.body for e in at.get("html") if 'rel = href.endsWith(".js")' in e.proto.body]


@pytest.fixture
def owner(con, make_user, store_path, monkeypatch):
    monkeypatch.setenv("BOOKINGS_DB", str(store_path))
    return make_user(Role.OWNER)


def test_the_sign_in_page_prefetches_and_a_signed_in_page_does_not(owner):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()
    assert not at.exception
    [script] = prefetch_scripts(at)
    assert '"static/js/DataFrame.' in script and '"static/css/DataFrame.' in script
    user, password = owner
    sign_in(at, user.login, password)
    assert not at.exception and at.sidebar.markdown[0].value.startswith("Signed in as")
    assert prefetch_scripts(at) == []
