"""Background tasks: bookings (being built)."""

PERIODIC: tuple = ()
