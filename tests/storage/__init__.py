"""Tests of semsearch.storage: the manifest, the local engine and the engine contract."""
