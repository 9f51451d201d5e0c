"""The fault-injection suite (issue 14): what semsearch survives, kept true by tests.

README.md, "What semsearch promises", names the test behind each promise. The files:

- ``poison.py``: generated poison files (malformed and damaged ``.docx``, a zip bomb, fuzzed
  Word XML, broken PDFs and a PDF bomb, binary and undecodable text, link loops, a FIFO…);
  ``hostile.py``: extractors that loop, hang in C, eat memory, crash or print on stdout;
- ``test_extraction_limits.py``: the extraction boundary against ``hostile.py``;
- ``test_poison_files.py``: builds and updates over poisoned corpora always finish;
- ``test_hostile_names.py``: upload names and terminal output under hostile names and queries;
- ``test_symlinks.py``: the symbolic link policy, deletions included;
- ``test_sigkill.py``: SIGKILL at random points of builds and updates (bounded, seeded);
- ``test_unforeseen.py``: an unforeseen exception in the CLI or in an upload stays one line;
- the index files' part lives beside the engine it tests: ``tests/storage/test_local_damage.py``
  (a byte flipped in each file, damaged manifests, counts that disagree) and
  ``tests/storage/test_write_failures.py`` (disk full on a small tmpfs at every step, a
  read-only file system, FAISS write errors, refused hard links).
"""
