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


# Payment requests and links between communities (appended; imported here to leave the module's head untouched).
from django.db.models import Q  # noqa: E402

from .models import CommunityLink, PaymentRequest  # noqa: E402


def payment_requests(viewer: Member) -> QuerySet[PaymentRequest]:
    """Payment requests the viewer made or was asked to pay; nobody else's, coordinators included."""
    return (
        PaymentRequest.objects.filter(community_id=viewer.community_id)
        .filter(Q(payee=viewer) | Q(payer=viewer))
        .select_related("payee", "payer", "currency")
    )


def get_payment_request_or_404(viewer: Member, request_id: int) -> PaymentRequest:
    payment = payment_requests(viewer).filter(pk=request_id).first()
    if payment is None:
        raise Http404("No payment request with that number here.")
    return payment


def community_links(viewer: Member) -> QuerySet[CommunityLink]:
    """Links to trade with other communities that the viewer's community proposed or was invited to."""
    return CommunityLink.objects.filter(
        Q(community_id=viewer.community_id) | Q(partner_id=viewer.community_id)
    ).select_related("community", "partner", "currency", "partner_currency")


def get_link_or_404(viewer: Member, link_id: int) -> CommunityLink:
    link = community_links(viewer).filter(pk=link_id).first()
    if link is None:
        raise Http404("No link with that number here.")
    return link


# Paying, holds and currency set-up (appended).
from ostrom.communities.models import Organisation  # noqa: E402


def payee_members(viewer: Member) -> QuerySet[Member]:
    """Members the viewer can choose to pay: every active member of the community but themselves. This is not
    the directory: someone who keeps out of the directory still gets paid for the help they gave."""
    return (
        Member.objects.filter(community_id=viewer.community_id, status="active")
        .exclude(pk=viewer.pk)
        .order_by("display_name", "pk")
    )


def payee_organisations(viewer: Member) -> QuerySet[Organisation]:
    return Organisation.objects.filter(community_id=viewer.community_id, is_active=True).order_by("name")


def managed_currencies(viewer: Member) -> QuerySet[Currency]:
    """Every currency of the community, retired ones too, for its coordinators."""
    require_coordinator(viewer)
    return Currency.objects.filter(community_id=viewer.community_id).order_by("name")


def open_holds(viewer: Member, *, everyone: bool = False) -> QuerySet[Transfer]:
    """Holds not yet taken or released on the viewer's accounts; with ``everyone``, the whole community's (coordinators)."""
    holds = Transfer.objects.filter(
        community_id=viewer.community_id, kind="pending", resolution__isnull=True
    ).select_related(
        "currency", "debit_account__member", "debit_account__organisation",
        "credit_account__member", "credit_account__organisation",
    )  # fmt: skip
    if everyone:
        require_coordinator(viewer)
        return holds.order_by("expires_at", "pk")
    mine = list(own_accounts(viewer).values_list("pk", flat=True))
    return (holds.filter(debit_account_id__in=mine) | holds.filter(credit_account_id__in=mine)).order_by(
        "expires_at", "pk"
    )


# The JSON API (appended).


def community_account(viewer: Member, account_id: int) -> Account | None:
    """Any account of the viewer's community, as a payer or payee named by number; another community's is None,
    exactly like one that does not exist, so the answer never tells which."""
    return (
        Account.objects.filter(community_id=viewer.community_id, pk=account_id)
        .select_related("currency", "member", "organisation")
        .first()
    )


def can_take_hold(viewer: Member, held: Transfer) -> bool:
    """Only the one the amount is held for takes a hold: from their own account, or their organisation's."""
    return own_accounts(viewer).filter(pk=held.credit_account_id).exists()


from .models import TransferBatch  # noqa: E402


def community_batches(coordinator: Member) -> QuerySet[TransferBatch]:
    """The batches (levies, issues, imports…) posted in the coordinator's community, newest first."""
    require_coordinator(coordinator)
    return TransferBatch.objects.filter(community_id=coordinator.community_id).order_by("-created_at", "-pk")
