"""``python -m samplegen`` (from ``scripts/``): write the bundled sample."""

import sys

from .cli import main

sys.exit(main())
