"""grade-all's live progress bar on a terminal, and a line per submission."""

from __future__ import annotations

import sys


class Progress:
    """A live bar on a terminal (graded, failed, remaining, ETA); one line per submission everywhere."""

    def __init__(self, total: int, stream=None):
        from tqdm.auto import tqdm

        self.stream = stream or sys.stderr
        self.graded = self.failed = 0
        self.bar = tqdm(
            total=total,
            unit="submission",
            file=self.stream,
            dynamic_ncols=True,
            disable=not self.stream.isatty() or total == 0,
            bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} [{elapsed}<{remaining} ETA, {rate_fmt}]{postfix}",
        )
        self.total = total
        self._update()

    def _update(self):
        self.bar.set_postfix_str(
            f"graded {self.graded}, failed {self.failed}, remaining {self.total - self.graded - self.failed}",
            refresh=False,
        )

    def done(self, line: str, failed: bool = False):
        if failed:
            self.failed += 1
        else:
            self.graded += 1
        self._update()
        self.bar.update(1)
        position = f"[{self.graded + self.failed}/{self.total}]"
        if self.bar.disable:
            print(f"{position} {line}", file=self.stream, flush=True)
        else:
            self.bar.write(f"{position} {line}", file=self.stream)

    def close(self):
        self.bar.close()
