"""What every fake driver shares: failures on request, and a count of what was called,
so tests (and users, through the fakes' configuration) can see how the cloud copes."""

from __future__ import annotations

from collections import Counter


class DriverFault(Exception):
    """A failure injected with `fail_next`, or a request the backend cannot do."""


class FaultInjection:
    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self._faults: Counter[str] = Counter()

    def fail_next(self, method: str, times: int = 1) -> None:
        """The next `times` calls of `method` raise DriverFault and change nothing."""
        self._faults[method] += times

    def _enter(self, method: str) -> None:
        """Called first by every driver method: counts it, and fails it if asked to."""
        self.calls[method] += 1
        if self._faults[method] > 0:
            self._faults[method] -= 1
            raise DriverFault(f"injected failure of {method}")
