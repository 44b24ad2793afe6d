"""Writing output files so that a reader never sees half of one.

Reports and feedback pages may be read (served, synced, or picked up by an
LMS) while a cohort is still being graded, and a grader may be interrupted
at any moment. Each file is therefore written in full under a temporary
name in its own folder and then renamed over the target: a rename within
one filesystem is atomic, so the path holds either the old file or the new
one, never a mixture. Files that belong together (a student's results,
feedback page, autograded notebook and record) are written under temporary
names first and renamed into place together (``staged``): a disk that fills
up while they are written leaves every one of them as it was.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
from pathlib import Path


def write_atomic(path: Path | str, data: str | bytes, mode: int = 0o666) -> None:
    """Replace ``path`` with ``data`` (text is written as UTF-8); missing parent folders are created.
    ``mode`` is filtered by the umask, as for open(); 0o600 keeps a file to its owner."""
    path = Path(path)
    tmp = _write_temp(path, data, mode)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _write_temp(path: Path, data: str | bytes, mode: int) -> Path:
    """``data`` written whole and synced under a temporary name beside ``path``; that name."""
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
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


TEMP_NAME = re.compile(r"\..+\.[0-9a-f]{12}\.tmp")  # what _write_temp names a file


def remove_stale_temps(folder: Path) -> None:
    """The temporary files below ``folder`` that a writer killed mid-write left (call it only where no other
    writer is at work)."""
    for path in Path(folder).rglob(".*.tmp"):
        if TEMP_NAME.fullmatch(path.name) and path.is_file():
            path.unlink(missing_ok=True)


class Staged:
    """Several files, each written whole under a temporary name, then put in place together by ``commit``
    (in the order they were written or marked for removal): a write that fails (a full disk) leaves every
    target as it was, and ``discard`` removes what was written. A rename takes no room, so once all are
    written, a disk that has filled up meanwhile does not stop the commit."""

    def __init__(self):
        self._files: list[tuple[Path | None, Path]] = []

    def write(self, path: Path | str, data: str | bytes, mode: int = 0o666) -> None:
        path = Path(path)
        self._files.append((_write_temp(path, data, mode), path))

    def write_json(self, path: Path | str, obj, mode: int = 0o666) -> None:
        self.write(path, _json(obj), mode)

    def remove(self, path: Path | str) -> None:
        """``path`` goes (if it is there) at the commit."""
        self._files.append((None, Path(path)))

    def commit(self) -> None:
        while self._files:
            tmp, path = self._files[0]
            if tmp is None:
                path.unlink(missing_ok=True)
            else:
                os.replace(tmp, path)
            self._files.pop(0)

    def discard(self) -> None:
        for tmp, _ in self._files:
            if tmp is not None:
                tmp.unlink(missing_ok=True)
        self._files = []


@contextlib.contextmanager
def staged():
    """A ``Staged`` whose files not put in place when the block ends (by an error, or no commit) are removed."""
    stage = Staged()
    try:
        yield stage
    finally:
        stage.discard()


def write_json_atomic(path: Path | str, obj, mode: int = 0o666) -> None:
    """``obj`` as indented JSON, written with ``write_atomic``."""
    write_atomic(path, _json(obj), mode)


def _json(obj) -> str:
    # Serialised first, so that an object JSON cannot hold raises before anything is written.
    return json.dumps(obj, indent=2, ensure_ascii=False) + "\n"
