"""`python -m bookings.cli`: the `bookings` command."""

import sys

from bookings.cli import main

sys.exit(main())
