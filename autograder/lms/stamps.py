"""Score timestamps: each push stamped later than every earlier push, as the platforms require.

The platforms keep the timestamp of the last Score they took for a student
and refuse one that is not later:

- Moodle (``mod/lti/service/gradebookservices``, ``scores.php``) answers 409 when the
  stored ``timemodified`` is ``>=`` ``strtotime(timestamp)``; both are *whole seconds*
  (``save_grade_item`` stores ``strtotime(timestamp)``). Two pushes within one second:
  the second is refused, milliseconds or not.
- Canvas (``scores_controller.rb``) answers 400 when the stored ``updated_at`` (the
  last timestamp) is later than the new one.

So a push is stamped with the first whole second after the moment it starts
(it waits for it, at most one second): every push stamped before that moment,
by this process or any other on this clock, has an earlier whole second. The
stamps of one :class:`PushClock` also increase when the clock steps back (the
next second after the last stamp is used). The text is ISO 8601 with
milliseconds and the UTC offset, e.g. ``2026-01-15T09:30:05.000+00:00``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

ONE_SECOND = timedelta(seconds=1)


def utc_now() -> datetime:
    """The current time, timezone-aware (UTC)."""
    return datetime.now(timezone.utc)


class PushClock:
    """Hands out push timestamps (see the module docstring).

    ``now`` returns aware datetimes; ``sleep`` waits a number of seconds. Both
    are the real clock unless a test gives its own.
    """

    def __init__(
        self,
        now: Callable[[], datetime] = utc_now,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._now = now
        self._sleep = sleep
        self._last: datetime | None = None

    def stamp(self) -> str:
        """The timestamp of a push starting now: ISO 8601, milliseconds, UTC offset."""
        start = self._now().astimezone(timezone.utc)
        boundary = start.replace(microsecond=0) + ONE_SECOND
        when = start
        for _ in range(5):  # a sleep may end a little early; a few tries, never forever
            if when >= boundary:
                break
            self._sleep((boundary - when).total_seconds())
            when = self._now().astimezone(timezone.utc)
        # the whole second reached: a sleep that overshoots the boundary by a millisecond
        # must not make the stamp .001 (the stamp is a whole second, as the docstring says)
        when = max(when, boundary).replace(microsecond=0)
        if self._last is not None and when <= self._last:
            when = self._last + ONE_SECOND  # the clock stepped back
        self._last = when
        return when.isoformat(timespec="milliseconds")
