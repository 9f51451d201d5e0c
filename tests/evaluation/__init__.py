"""Tests of semsearch.evaluation: sets, metrics, the vector cache, the runner and its table."""
