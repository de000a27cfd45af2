"""Building a large policy without the cyclic garbage collector.

Loading, compiling or unpickling a policy of 200,000 users creates millions of small
containers and no reference cycles worth collecting; the collector would still scan
everything built so far again and again as the objects pile up (about 40% of the
time). `paused_gc()` switches it off for such a step and back on after, if it was on.

The collector is one switch for the whole process, so overlapping pauses (two threads
loading at once) share one: the first to begin notes whether it was on and switches it
off, the last to end switches it back on.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_pauses = 0
_was_enabled = False


@contextmanager
def paused_gc() -> Iterator[None]:
    global _pauses, _was_enabled
    with _lock:
        if not _pauses:
            _was_enabled = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _lock:
            _pauses -= 1
            if not _pauses and _was_enabled:
                gc.enable()
