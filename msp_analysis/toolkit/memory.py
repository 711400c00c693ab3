"""The allocator Arrow's buffers come from: the system's, unless the user chose one.

pyarrow 26 allocates with mimalloc by default. On the 2-core virtual machine this package is
measured on, mimalloc hands freed pages back to the system and faults them in again on the next
large allocation, and the page faults dominate: reading England's processed evaluation file took
3.3 s with mimalloc against 0.45 s with the system allocator (0.37 s with jemalloc), and the first
locality report of a year, which reads, filters and groups those frames, 13–14 s of CPU against
8 s (benchmarks/render_batch.py). The system allocator was as fast as jemalloc or faster in every
measurement and returns memory as glibc does, so the package's processes use it.

``ARROW_DEFAULT_MEMORY_POOL`` (``system``, ``jemalloc`` or ``mimalloc``), when set, is Arrow's own
switch and wins: :func:`use_system_allocator` then changes nothing.
"""

from __future__ import annotations

import os

POOL_VARIABLE = "ARROW_DEFAULT_MEMORY_POOL"


def use_system_allocator() -> str:
    """Make the system allocator Arrow's default pool for this process (unless the user set one); its name."""
    import pyarrow  # lazy: only processes that read processed files pay for it

    if not os.environ.get(POOL_VARIABLE):
        pyarrow.set_memory_pool(pyarrow.system_memory_pool())
    return pyarrow.default_memory_pool().backend_name
