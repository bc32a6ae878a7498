"""The marketplace's tables, one module a part: listings (offers, requests and their categories), exchanges (an
agreed piece of help carried through to one ledger transfer), volunteering, events and moderation."""

from .events import *  # noqa: F403
from .exchanges import *  # noqa: F403
from .listings import *  # noqa: F403
from .moderation import *  # noqa: F403
from .volunteering import *  # noqa: F403
