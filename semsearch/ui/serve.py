"""Start the page's server with the model and index loading at once.

``python -m semsearch.ui.serve [streamlit options]`` (what ``make run`` does).

Streamlit has no start-up hook, so this launcher starts the warm-up thread
(:func:`semsearch.ui.preload.warm_up_in_background`) and then runs ``streamlit run app.py`` in
the same process: the first visitor finds the model loaded instead of waiting 13–16 s. The
server watches no files (watching the repository floods the log with "Inotify queue
overflowed" from ``.venv``) and sends no usage statistics. Extra arguments go to Streamlit
(``--server.port 8502``); given twice, an option's last value wins.
"""

from __future__ import annotations

import sys
from pathlib import Path

#: The page's script, at the repository's root.
APP = Path(__file__).resolve().parents[2] / "app.py"
#: Options for a reader's server; the caller's arguments come after them and win.
SERVER_OPTIONS = (
    "--server.fileWatcherType", "none",
    "--server.runOnSave", "false",
    "--server.headless", "true",
    "--browser.gatherUsageStats", "false",
    "--client.toolbarMode", "minimal",
)  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    """Warm up in the background, then serve the page (returns when the server stops).

    Args:
        argv: Streamlit options (None: the command line's).
    """
    from streamlit.web import cli as streamlit_cli

    from semsearch.ui.preload import warm_up_in_background

    options = sys.argv[1:] if argv is None else argv
    warm_up_in_background()
    sys.argv = ["streamlit", "run", str(APP), *SERVER_OPTIONS, *options]
    streamlit_cli.main()


if __name__ == "__main__":
    main()
