"""While the password is typed, the sign-in page fetches the browser code the list
page needs next.

Streamlit loads an element's code (the data grid, the pickers, the metrics) only
when the first such element arrives. On a browser's first visit that cost the first
list after sign-in about half a second (bench/bench_browser.py). These files are
Streamlit's own, content-hashed and served cacheable for a year, so a prefetch puts
them in the browser's cache for the page that follows (the scripts as module
preloads, which also compile them).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import streamlit as st

STATIC = Path(st.__file__).parent / "static" / "static"
# The elements the list page draws that the sign-in form does not.
LIST_ELEMENTS = ("DataFrame", "Multiselect", "Selectbox", "DateInput", "Metric",
                 "Pagination", "ButtonGroup", "Button")
# Fonts the list page uses that the sign-in form does not (the login, as code).
LIST_FONTS = ("SourceCodeVF-Upright.ttf",)
# A static import in Streamlit's minified chunks: `from"./x.js"` or `import"./x.js"`
# (a dynamic `import("./x.js")` loads on demand only and is left alone).
_STATIC_IMPORT = re.compile(r'\b(?:from|import)\s*"\./([\w.\-]+\.js)"')


def entry_chunks(folder: Path, names, suffix: str) -> list[str]:
    """Each element's own chunk, e.g. `DataFrame.-f9-1zS0.js`: its name, a dot and a hash."""
    return [path.name for name in names for path in folder.glob(f"{name}.*{suffix}")
            if re.fullmatch(rf"{re.escape(name)}\.[\w\-]+{re.escape(suffix)}", path.name)]


@cache
def list_page_files() -> tuple[str, ...]:
    """Paths under Streamlit's static/ folder: the list elements' chunks with
    everything they import, their style sheets and the fonts the list adds."""
    scripts = STATIC / "js"
    pending, seen = entry_chunks(scripts, LIST_ELEMENTS, ".js"), set()
    while pending:
        name = pending.pop()
        if name not in seen and (scripts / name).is_file():
            seen.add(name)
            pending.extend(_STATIC_IMPORT.findall((scripts / name).read_text(errors="replace")))
    sheets = entry_chunks(STATIC / "css", LIST_ELEMENTS, ".css")
    fonts = entry_chunks(STATIC / "media", LIST_FONTS, ".woff2")
    return (tuple(f"js/{name}" for name in sorted(seen)) + tuple(f"css/{n}" for n in sheets)
            + tuple(f"media/{name}" for name in fonts))


@cache
def _prefetch_script() -> str:
    """The hints as one script, made once per process (the files do not change)."""
    hrefs = ",".join(f'"static/{name}"' for name in list_page_files())
    return f"""<script>
        for (const href of [{hrefs}]) {{
            const link = document.createElement("link");
            // Modules are fetched and compiled now; the rest goes to the cache. Fonts
            // are fetched with CORS, so their prefetch must be too to be found again.
            link.rel = href.endsWith(".js") ? "modulepreload" : "prefetch";
            if (href.endsWith(".woff2")) link.crossOrigin = "anonymous";
            link.href = new URL(href, document.baseURI).href;
            document.head.appendChild(link);
        }}
    </script>"""


def prefetch_list_page() -> None:
    """Hints for the browser: fetch, at low priority, what the list page will load."""
    if list_page_files():
        st.html(_prefetch_script(), unsafe_allow_javascript=True)
