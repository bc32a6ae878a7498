"""Everything Ostrom holds about one person, for the right of access (a JSON download)."""

from typing import Any

from .models import AuditEntry, Member, User


def user_data(user: User) -> dict[str, Any]:
    """The person's account, every membership with its profile, their tokens (never the secrets) and audit rows about them."""
    memberships = Member.objects.filter(user=user).select_related("community", "organisation")
    return {
        "account": {
            "full_name": user.full_name,
            "email": user.email,
            "phone": user.phone,
            "date_joined": user.date_joined.isoformat(),
        },
        "memberships": [_membership(member) for member in memberships],
    }


def _membership(member: Member) -> dict[str, Any]:
    return {
        "community": member.community.name,
        "display_name": member.display_name,
        "role": member.role,
        "status": member.status,
        "organisation": member.organisation.name if member.organisation else None,
        "joined_at": member.joined_at.isoformat(),
        "profile": {
            "bio": member.bio,
            "skills": member.skills,
            "interests": member.interests,
            "languages": member.languages,
            "availability": member.availability,
            "contact_preferences": member.contact_preferences,
            "postcode_district": member.postcode_district,
            "latitude": str(member.latitude) if member.latitude is not None else None,
            "longitude": str(member.longitude) if member.longitude is not None else None,
        },
        "privacy": {
            "listed_in_directory": member.listed_in_directory,
            "share_email": member.share_email,
            "share_phone": member.share_phone,
            "share_location": member.share_location,
        },
        "consent": {
            "recorded_at": member.consent_recorded_at.isoformat() if member.consent_recorded_at else None,
            "note": member.consent_note,
        },
        "api_tokens": [
            {"name": t.name, "created_at": t.created_at.isoformat(), "revoked": t.revoked_at is not None}
            for t in member.api_tokens.all()
        ],
        "actions_taken_about_you": [
            {"action": e.action, "when": e.created_at.isoformat(), "reason": e.reason}
            for e in AuditEntry.objects.filter(member=member).order_by("created_at")
        ],
    }
