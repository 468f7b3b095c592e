"""Run every benchmark script in benchmarks/ in turn (all *.py except helpers starting with _ and this file)."""

import glob
import os
import runpy

here = os.path.dirname(os.path.abspath(__file__))
for path in sorted(glob.glob(os.path.join(here, "*.py"))):
    name = os.path.basename(path)
    if name.startswith("_") or name == "run_all.py":
        continue
    print(f"== {name}")
    runpy.run_path(path, run_name="__main__")
