"""The commons' tables, one module a part: assets (what can be booked, when it is open, its rules and kits),
bookings (who has which unit when, waiting lists, memberships), allocation (request windows for contested slots and
their certified results), travelling services (visits shared across places by need) and rotas (teams, shifts,
availability, swaps)."""

from .allocation import *  # noqa: F403
from .assets import *  # noqa: F403
from .bookings import *  # noqa: F403
from .rotas import *  # noqa: F403
from .travelling import *  # noqa: F403
