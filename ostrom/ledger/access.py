"""Who may see or do what in the ledger. Views and API endpoints ask here; none decides on its own.

Members see and pay from their own accounts; coordinators see every account of their community and act
on members' behalf (always with an audit row, see actions). Organisation staff use their organisation's
account. Nothing here ever returns another community's rows."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from ostrom.communities.domain import Role
from ostrom.communities.models import Member

from .models import Account, Currency, Transfer


def currencies(viewer: Member) -> QuerySet[Currency]:
    return Currency.objects.filter(community_id=viewer.community_id, is_active=True).order_by("name")


def get_currency_or_404(viewer: Member, code: str) -> Currency:
    currency = currencies(viewer).filter(code=code).first()
    if currency is None:
        raise Http404("No currency with that name here.")
    return currency


def can_coordinate(viewer: Member) -> bool:
    return viewer.is_coordinator


def require_coordinator(viewer: Member) -> None:
    if not can_coordinate(viewer):
        raise PermissionDenied("Only coordinators can manage the ledger.")


def own_accounts(viewer: Member) -> QuerySet[Account]:
    """The accounts the viewer pays from: their own, and their organisation's if they are its staff."""
    accounts = Account.objects.filter(community_id=viewer.community_id).select_related("currency")
    if viewer.role == Role.STAFF and viewer.organisation_id:
        return accounts.filter(member=viewer) | accounts.filter(organisation_id=viewer.organisation_id)
    return accounts.filter(member=viewer)


def visible_accounts(viewer: Member) -> QuerySet[Account]:
    """Accounts whose statements the viewer may read: their own, or every one for coordinators."""
    if can_coordinate(viewer):
        return Account.objects.filter(community_id=viewer.community_id).select_related(
            "currency", "member", "organisation"
        )
    return own_accounts(viewer).select_related("member", "organisation")


def get_account_or_404(viewer: Member, account_id: int) -> Account:
    account = visible_accounts(viewer).filter(pk=account_id).first()
    if account is None:
        raise Http404("No account with that number here.")
    return account


def can_pay_from(viewer: Member, account: Account) -> bool:
    """Members pay from their own accounts; coordinators may pay from any account of their community on its holder's behalf."""
    if account.community_id != viewer.community_id or not viewer.is_active:
        return False
    if account.member_id == viewer.pk:
        return True
    if viewer.role == Role.STAFF and account.organisation_id and account.organisation_id == viewer.organisation_id:
        return True
    return can_coordinate(viewer)


def payable_accounts(viewer: Member, currency: Currency) -> QuerySet[Account]:
    """Accounts a member can pay to in a currency: active member and organisation accounts of the community."""
    return Account.objects.filter(
        community_id=viewer.community_id, currency=currency, status="active", kind__in=["member", "organisation"]
    ).select_related("member", "organisation")


def get_transfer_or_404(viewer: Member, transfer_id: int) -> Transfer:
    """A transfer the viewer took part in (or any of the community's, for coordinators)."""
    transfers = Transfer.objects.filter(community_id=viewer.community_id)
    if not can_coordinate(viewer):
        mine = list(own_accounts(viewer).values_list("pk", flat=True))
        transfers = transfers.filter(debit_account_id__in=mine) | transfers.filter(credit_account_id__in=mine)
    transfer = transfers.filter(pk=transfer_id).first()
    if transfer is None:
        raise Http404("No transfer with that number here.")
    return transfer
