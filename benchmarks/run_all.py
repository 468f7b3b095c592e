"""Run every benchmarks/bench_*.py script in turn."""

import glob
import os
import runpy

here = os.path.dirname(os.path.abspath(__file__))
for path in sorted(glob.glob(os.path.join(here, "bench_*.py"))):
    print(f"== {os.path.basename(path)}")
    runpy.run_path(path, run_name="__main__")
