import os
import subprocess
import sys

import pyarrow

from msp_analysis.toolkit.memory import POOL_VARIABLE, use_system_allocator


def test_the_package_allocates_arrow_buffers_with_the_system_allocator():
    if os.environ.get(POOL_VARIABLE):
        assert use_system_allocator() == os.environ[POOL_VARIABLE]
        return
    assert use_system_allocator() == "system"
    assert pyarrow.default_memory_pool().backend_name == "system"
    table = pyarrow.table({"x": list(range(1000))})
    assert pyarrow.default_memory_pool().bytes_allocated() >= table.nbytes


def test_a_pool_the_user_chose_is_left_alone():
    code = "from msp_analysis.toolkit.memory import use_system_allocator; print(use_system_allocator())"
    for pool in ("jemalloc", "system"):
        done = subprocess.run([sys.executable, "-c", code], env={**os.environ, POOL_VARIABLE: pool},
                              capture_output=True, text=True, check=True)
        assert done.stdout.strip() == pool
