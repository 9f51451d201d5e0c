"""Tests of semsearch.ui: the page's rendering helpers and messages."""
