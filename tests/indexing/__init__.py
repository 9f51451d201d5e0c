"""Tests of semsearch.indexing: scanning, reading, vectors, upgrades, build and update."""
