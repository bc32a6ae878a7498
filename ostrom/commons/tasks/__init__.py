"""The commons' background tasks, run by the worker (``manage.py db_worker``), one module a part. Each is idempotent
and safe to run twice; ``manage.py tick`` enqueues ``PERIODIC`` every minute."""

from . import allocation, bookings, rotas

PERIODIC = (*bookings.PERIODIC, *allocation.PERIODIC, *rotas.PERIODIC)
