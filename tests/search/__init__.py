"""Tests of semsearch.search: requests and filters, hits, the searcher, and its parity with the
ranking core."""
