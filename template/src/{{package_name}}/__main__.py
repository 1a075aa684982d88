"""Run the command-line interface with ``python -m PACKAGE``."""

import sys

from .cli import (
    main,
)

sys.exit(main())
