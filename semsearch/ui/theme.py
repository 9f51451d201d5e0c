"""The page's stylesheet: readable marks in the light and the dark theme alike.

Streamlit follows the reader's system theme, so the page's own colours must work on a white and
on a near-black background. Every coloured mark sets its text colour *and* its background
(never ``color: inherit`` on a light background, which is white on yellow in the dark theme);
secondary text is dimmed with opacity, which keeps its contrast in both themes. The pairs
below measure (WCAG 2 contrast ratio, AA asks ≥ 4.5): ``#1f1400`` on ``#ffd84d`` 13.1,
``#0b1a33`` on ``#cfe2ff`` 13.2, ``#fff`` on ``#2f5f96`` 6.6, ``#fff`` on ``#17663a`` 7.0,
``#fff`` on ``#8a4b08`` 6.8, ``#1f2937`` on ``#e5e7eb`` 11.9, ``#0b1a33`` on ``#a9cbfb``
10.4 and on ``#e6effb`` 15.0; ``tests/webpage/test_offline_and_readable.py``
reads the computed colours in a real browser, in both themes.
"""

from __future__ import annotations

from semsearch.ui.i18n import Texts

#: Streamlit's own English hints, hidden: the search box's placeholder already says "press
#: Enter", and the uploader's label lists the file types.
_HIDE_STREAMLIT_HINTS = """
<style>
[data-testid="InputInstructions"], [data-testid="stFileUploaderDropzoneInstructions"] {
  display: none; }
[data-testid="stFileUploaderDropzone"] button { font-size: 0; }
[data-testid="stFileUploaderDropzone"] button > * { display: none; }
[data-testid="stFileUploaderDropzone"] button::after { content: "%s"; font-size: .9rem; }
</style>
"""


def page_css(tr: Texts) -> str:
    """The stylesheet plus the page's words for what Streamlit writes in English.

    Args:
        tr: The page's language.

    Returns:
        ``<style>`` blocks for ``st.html``.
    """
    # Our own catalogue text, but a quote or backslash would still end the CSS string.
    label = _css_string(tr("upload.browse"))
    placeholders = _DATE_PLACEHOLDERS % tuple(
        _css_string(part) for part in (tr("filter.year"), tr("filter.month"), tr("filter.day"))
    )
    return PAGE_CSS + PHONE_CSS + _HIDE_STREAMLIT_HINTS % label + placeholders


def _css_string(text: str) -> str:
    return text.replace("\\", "").replace('"', "")


#: An empty date field shows its parts' placeholders, which Streamlit writes in English
#: (``yyyy/mm/dd``) whatever the page's language and has no parameter for: each empty part's
#: text is replaced by the page's word for it (年/月/日). Typing fills the part as usual.
_DATE_PLACEHOLDERS = """
<style>
[data-testid="stDateInput"] [data-placeholder="true"] { font-size: 0; }
[data-testid="stDateInput"] [data-placeholder="true"]::before { font-size: .875rem; }
[data-testid="stDateInput"] [data-type="year"][data-placeholder="true"]::before { content: "%s"; }
[data-testid="stDateInput"] [data-type="month"][data-placeholder="true"]::before { content: "%s"; }
[data-testid="stDateInput"] [data-type="day"][data-placeholder="true"]::before { content: "%s"; }
</style>
"""


#: A phone (narrow screen): results reach the first screen. The title and the language switch
#: share a line, the caption is left out, the mode and the number of results share the line under
#: the search box without their labels (kept for screen readers), and gaps shrink. The containers
#: are keyed in ``app.py`` (Streamlit gives them the class ``st-key-<key>``).
PHONE_CSS = """
<style>
@media (max-width: 640px) {
  [data-testid="stMainBlockContainer"] { padding-top: 3.2rem; padding-bottom: 2rem; }
  [data-testid="stMainBlockContainer"] [data-testid="stVerticalBlock"] { gap: .55rem; }
  .st-key-ss-header [data-testid="stHorizontalBlock"] { flex-wrap: nowrap; align-items: center; }
  .st-key-ss-header [data-testid="stColumn"] { min-width: 0; width: auto; flex: 1 1 auto; }
  .st-key-ss-header [data-testid="stColumn"]:last-child { flex: 0 0 7.5rem; }
  .st-key-ss-header h1 { font-size: 1.55rem; padding: .2rem 0; }
  .st-key-ss-caption { display: none; }
  .st-key-ss-search [data-testid="stHorizontalBlock"],
  .st-key-ss-view [data-testid="stHorizontalBlock"] { flex-wrap: wrap; row-gap: .5rem; }
  .st-key-ss-search [data-testid="stColumn"] { min-width: 0; width: auto; flex: 0 1 auto; }
  .st-key-ss-search [data-testid="stColumn"]:first-child { flex: 1 1 100%; }
  .st-key-ss-search [data-testid="stColumn"]:last-child { flex: 1 1 6rem; }
  .st-key-ss-search [data-testid="stWidgetLabel"] { position: absolute; width: 1px;
    height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
  .st-key-ss-view [data-testid="stColumn"] { min-width: 0; width: auto; flex: 0 1 auto; }
}
</style>
"""


#: Stylesheet of the page; the class names are the ones the render functions emit.
PAGE_CSS = """
<style>
.ss-card-head, .ss-group-head { display: flex; align-items: baseline; gap: .6rem;
  flex-wrap: wrap; }
.ss-rank { font-weight: 700; color: #fff; background: #2f5f96; border-radius: .4rem;
  padding: 0 .45rem; font-size: .9rem; }
.ss-title { font-weight: 700; font-size: 1.08rem; }
.ss-group-head .ss-title { font-size: 1.15rem; }
.ss-meta { opacity: .78; font-size: .85rem; margin: .15rem 0 .4rem 0; }
.ss-meta span + span::before { content: " · "; }
.ss-score { font-variant-numeric: tabular-nums; }
.ss-strength { font-size: .78rem; font-weight: 600; border-radius: .7rem; padding: .05rem .5rem;
  white-space: nowrap; }
.ss-strength-strong { color: #fff; background: #17663a; }
.ss-strength-possible { color: #fff; background: #8a4b08; }
.ss-strength-weak { color: #1f2937; background: #e5e7eb; }
.ss-text { line-height: 1.75; font-size: 1rem; white-space: normal; }
.ss-passage + .ss-passage { border-top: 1px dashed rgba(128, 128, 128, .4); margin-top: .5rem;
  padding-top: .5rem; }
mark { background: #ffd84d; color: #1f1400; padding: 0 .1rem; border-radius: .15rem; }
mark.ss-soft { background: transparent; color: inherit; padding: 0;
  text-decoration: underline dotted rgba(128, 128, 128, .9); text-underline-offset: .25em; }
.ss-answer { font-weight: 600; text-decoration: underline 2px #2e9e5b;
  text-underline-offset: .3em; }
.ss-context { line-height: 1.7; }
.ss-context p:not(:has(.ss-hit)) { opacity: .7; }
.ss-context .ss-hit, .ss-article .ss-hit { background: #cfe2ff; color: #0b1a33; }
.ss-summary { margin: .4rem 0 .2rem 0; }
.ss-divider { margin: 1rem 0 .4rem 0; padding: .3rem .6rem; border-left: 4px solid #8a8f98;
  font-size: .9rem; }
.ss-article p { line-height: 1.8; margin: 0 0 .8rem 0; }
.ss-article .ss-hit { background: #e6effb; color: #0b1a33; }
.ss-article .ss-hit.ss-current { background: #a9cbfb; border-bottom: 2px solid #2f5f96; }
/* In the article only the current hit's query words are yellow: the hit is what stands out. */
.ss-article mark { background: transparent; color: inherit; padding: 0;
  text-decoration: underline dotted rgba(128, 128, 128, .9); text-underline-offset: .25em; }
.ss-article .ss-current mark { background: #ffd84d; color: #1f1400; text-decoration: none; }
.ss-nav { display: flex; gap: .5rem; align-items: center; margin: .3rem 0 .8rem 0;
  position: sticky; top: 0; z-index: 1; }
.ss-nav button { font: inherit; padding: .2rem .8rem; border-radius: .4rem; cursor: pointer;
  border: 1px solid #2f5f96; background: #2f5f96; color: #fff; }
.ss-nav button:disabled { opacity: .5; cursor: default; }
.ss-empty { opacity: .7; }
</style>
"""
