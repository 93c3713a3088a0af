"""The one progress bar of every long run (``compare`` on one machine or on Dask, ``classify``, ``analyze``).

The bar follows the input (bytes of article files, or claims), shows articles and claims per
second and the time left, and stays silent when turned off or when stderr is not a terminal.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from contextlib import nullcontext

from tqdm.auto import tqdm

_FORMAT = "{l_bar}{bar}| {n_fmt}/{total_fmt} {unit} [{elapsed}<{remaining}{postfix}]"


class RunProgress:
    """A bar over ``total`` units of input ("bytes" of article files, or "claims"), counting articles
    (shown unless ``articles`` is False) and claims."""

    def __init__(self, total: float, *, unit: str, enabled: bool = True, initial: float = 0,
                 articles: bool = True):
        self.bar = tqdm(total=total, initial=initial, unit=unit, unit_scale=True,
                        unit_divisor=1024 if unit == "bytes" else 1000,
                        bar_format=_FORMAT, leave=False, dynamic_ncols=True, file=sys.stderr,
                        disable=None if enabled else True)  # None: only on a terminal
        self.show_articles = articles
        self.articles = self.claims = 0
        self._start = time.monotonic()

    def __enter__(self) -> RunProgress:
        return self

    def __exit__(self, *exc) -> None:
        self.bar.close()

    @property
    def position(self) -> float:
        return self.bar.n

    def advance(self, amount: float = 0, *, articles: int = 0, claims: int = 0) -> None:
        """Move ``amount`` units on, with ``articles`` and ``claims`` more done."""
        self.articles += articles
        self.claims += claims
        self._rates()
        self.bar.update(amount)

    def move_to(self, position: float) -> None:
        """Put the bar at ``position`` (work an earlier run finished, or a correction) without counting
        the jump in the speed that the time left is estimated from."""
        self.bar.n = self.bar.last_print_n = min(position, self.bar.total or position)
        self.bar.refresh()

    def per_batch(self, share: float) -> Callable[[int, int], None]:
        """A callback for pipeline.predict_proba: each batch of n of the total claims moves the bar
        on by its part of ``share`` units, so long articles show progress too."""
        return lambda n, total: self.advance(share * n / total if total else 0, claims=n)

    def messages(self, callback: Callable[[str], None]) -> Callable[[str], None]:
        """``callback`` writing its messages above the bar instead of through it."""
        def write(message: str) -> None:
            with self.bar.external_write_mode(file=sys.stderr) if not self.bar.disable else nullcontext():
                callback(message)
        return write

    def _rates(self) -> None:
        seconds = max(time.monotonic() - self._start, 1e-9)
        rates = [f"{self.claims / seconds:,.0f} claims/s"]
        if self.show_articles:
            rates.insert(0, f"{self.articles / seconds:,.1f} articles/s")
        self.bar.set_postfix_str(", ".join(rates), refresh=False)
