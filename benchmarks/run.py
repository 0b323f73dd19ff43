"""`make bench`: the inference and explanation benchmarks on the demo MiniLM and bbc-news:test.

Writes benchmarks/results/inference.json and benchmarks/results/explanations.json and prints
their tables; see workbench/bench/inference.py and workbench/bench/explanations.py for what is
measured. Options: `workbench bench --help`.
"""

import sys
from pathlib import Path

from workbench.cli import main

if __name__ == "__main__":
    sys.argv = ["workbench", "bench", "--out", str(Path(__file__).parent / "results"), *sys.argv[1:]]
    main()
