"""(being written by the moderation part) Blocks and hidden content."""

from __future__ import annotations

from ostrom.communities.models import Member


def blocked_member_ids(member: Member) -> set[int]:
    """Ids of members who blocked ``member`` or whom ``member`` blocked: neither side sees or contacts the other."""
    return set()
