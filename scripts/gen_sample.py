#!/usr/bin/env python3
"""Generate the bundled demo dataset ``src/audit_tui/data/sample.jsonl.xz``.

The generator is the package ``scripts/samplegen`` (start with its ``__init__``); this file
only runs it:  python scripts/gen_sample.py [--out PATH] [--seed N] [--stats]
"""

import sys

from samplegen import main

if __name__ == "__main__":
    sys.exit(main())
