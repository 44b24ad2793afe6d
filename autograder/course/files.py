"""Writing output files so that a reader never sees half of one.

Reports and feedback pages may be read (served, synced, or picked up by an
LMS) while a cohort is still being graded, and a grader may be interrupted
at any moment. Each file is therefore written in full under a temporary
name in its own folder and then renamed over the target: a rename within
one filesystem is atomic, so the path holds either the old file or the new
one, never a mixture.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path


def write_atomic(path: Path | str, data: str | bytes, mode: int = 0o666) -> None:
    """Replace ``path`` with ``data`` (text is written as UTF-8); missing parent folders are created.
    ``mode`` is filtered by the umask, as for open(); 0o600 keeps a file to its owner."""
    path = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    path.parent.mkdir(parents=True, exist_ok=True)
    # The temp file must live in the target's folder: os.replace is only atomic within one filesystem.
    # A dot name keeps it out of globs such as "*/feedback.html"; O_EXCL never clobbers another
    # writer's temp file; mode 0o666 lets the umask decide, as for any ordinary open().
    tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(payload)
            file.flush()
            # Without this, a crash soon after the rename can leave an empty file under the new name.
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_json_atomic(path: Path | str, obj, mode: int = 0o666) -> None:
    """``obj`` as indented JSON, written with ``write_atomic``."""
    # Serialise first, so that an object JSON cannot hold raises before anything is written.
    write_atomic(path, json.dumps(obj, indent=2, ensure_ascii=False) + "\n", mode)
