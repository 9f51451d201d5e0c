"""One module per file format, each with an extractor ``(path, bytes) -> Extracted``.

:mod:`semsearch.ingest.extract` maps file suffixes to these extractors; adding a format is a
module here and a line in its registry.
"""
