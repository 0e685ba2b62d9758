"""Atomic file writes: a failure never leaves a half-written file behind."""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


@contextmanager
def atomic_path(target: Path | str) -> Iterator[Path]:
    """Yield a temporary path next to *target*; move it into place on success.

    On any exception the temporary file is removed and *target* is untouched.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=target.suffix, dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o644)
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_bytes(target: Path | str, data: bytes) -> Path:
    """Write *data* to *target* atomically."""
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
    return Path(target)


def write_text(target: Path | str, text: str) -> Path:
    """Write UTF-8 *text* (``\\n`` line endings) to *target* atomically."""
    return write_bytes(target, text.encode("utf-8"))


CSV_FLOAT_FORMAT = "%.10g"


def frame_to_csv(frame) -> str:
    """Deterministic CSV text of a pandas DataFrame: no index, ``%.10g`` floats, ``\\n`` line ends.

    Every CSV the project writes (figure data, tables) goes through here, so they read alike.
    """
    return frame.to_csv(index=False, float_format=CSV_FLOAT_FORMAT, lineterminator="\n")
