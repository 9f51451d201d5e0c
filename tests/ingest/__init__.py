"""Tests of semsearch.ingest, one file per module."""
