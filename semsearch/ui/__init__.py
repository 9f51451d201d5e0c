"""Presentation for the two front ends: what they show, never what they decide.

The terminal (:mod:`.terminal`, rich) for the CLI; for the Streamlit page, escaped HTML
(:mod:`.page`), the wording of outcomes (:mod:`.messages`), the progress bar and error boxes
(:mod:`.feedback`), the sidebar (:mod:`.sidebar`) and the result cards (:mod:`.results`).
Nothing is imported here, so the CLI never loads Streamlit and the page never loads rich.
"""
