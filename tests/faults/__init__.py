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
- ``test_index_damage.py``: the index files (byte flips in each file, disk full on a small
  tmpfs, write errors) belong to the storage engine's owners; this name is theirs.
"""
