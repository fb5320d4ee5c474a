"""How many warm sandboxes the pool aims to hold: its minimum, plus the claims lately seen
arriving together, never more than its maximum.

A fixed pool of one is emptied by the first claim of a burst and the rest start cold (about a
second each, more while they share the cores). What decides whether a claim finds a warm
sandbox is how many claims arrive before the pool can start new ones, i.e. the claim rate times
the time to start a sandbox. Bursts are what matter, so the rate is read at its peak: the most
claims seen within one ``span`` (a few start times) of each other, over the last ``window``
seconds. When claims stop, the peak leaves the window and the aim falls back to the minimum.

Plain code, no transport: the manager records claims and asks for the target; the other
replicas' peaks reach it through the registry (each replica's heartbeat carries its own).
"""

from __future__ import annotations

import collections
import time
from collections.abc import Callable


class Demand:
    """The claims one replica has seen lately."""

    def __init__(self, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.window = window
        # Tests move time by replacing the clock.
        self.clock = clock
        self._claims: collections.deque[float] = collections.deque()

    def claimed(self) -> None:
        """A project was given (or is about to be given) a sandbox."""
        self._claims.append(self.clock())

    def peak(self, span: float) -> int:
        """The most claims within ``span`` seconds of each other in the last window."""
        now = self.clock()
        while self._claims and self._claims[0] < now - self.window:
            self._claims.popleft()
        best, start = 0, 0
        claims = list(self._claims)
        # Two pointers over the ordered times: the claims in [claims[start], claims[end]].
        for end, at in enumerate(claims):
            while at - claims[start] > span:
                start += 1
            best = max(best, end - start + 1)
        return best


def pool_target(minimum: int, maximum: int, demand: int) -> int:
    """Warm sandboxes to hold: the minimum plus the demand, capped by the maximum (which
    never lowers the target under the minimum)."""
    return max(minimum, min(maximum, minimum + demand))
