"""Building a large policy without the cyclic garbage collector.

Loading, compiling or unpickling a policy of 200,000 users creates millions of small
containers and no reference cycles worth collecting; the collector would still scan
everything built so far again and again as the objects pile up (about 40% of the
time). `paused_gc()` switches it off for such a step and back on after, if it was on.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
