"""``python -m streamlib`` is the ``streamlib`` command."""

import sys

from .cli import main

sys.exit(main())
