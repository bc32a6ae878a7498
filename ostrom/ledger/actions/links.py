"""Trade between communities: two communities agree a link (an exchange rate and a trust limit each way), and a
member of one pays a member of the other through both communities' clearing accounts, in one transaction.

Each community's clearing account for a link is an ordinary account in its own currency, so every per-currency
sum stays zero. When A's member pays B's member, A's clearing account receives the payment in A's currency and
B's clearing account pays B's member in B's currency: B's clearing account goes below zero, and how far it may go
(its debit limit) is the trust B extends to A."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet

from ostrom.communities.actions import audit
from ostrom.communities.domain import DomainError
from ostrom.communities.models import Community, Member

from ..domain import amounts, rates
from ..models import Account, AccountKind, CommunityLink, Currency
from . import transfers
from .accounts import MAX_LIMIT, open_account
from .posting import Posted


@dataclass(frozen=True)
class CrossPayment:
    """Both legs of a payment to another community: ``sent`` in the payer's currency, ``received`` in the payee's."""

    link: CommunityLink
    sent: Posted
    received: Posted

    @property
    def replayed(self) -> bool:
        return self.sent.replayed and self.received.replayed


def link_communities(
    admin: Member,
    partner: Community,
    currency: Currency,
    partner_currency: Currency,
    rate_numerator: int,
    rate_denominator: int,
    trust_extended: int,
) -> CommunityLink:
    """Propose trade with ``partner``: one unit of ``currency`` is worth numerator/denominator of theirs.

    ``trust_extended`` (in ``currency``) is how far our clearing account may go below zero. The link stays
    inactive, and nothing can be paid through it, until the partner's coordinators accept it."""
    _require_coordinator(admin)
    community = admin.community
    if currency.community_id != community.pk or not currency.is_active:
        raise DomainError("currency_unknown", "Choose one of your community's currencies.", "currency")
    if partner.pk == community.pk:
        raise DomainError("link_to_self", "A community can't trade with itself.", "partner_currency")
    if partner_currency.community_id != partner.pk or not partner_currency.is_active:
        raise DomainError("currency_unknown", "Choose one of the other community's currencies.", "partner_currency")
    rates.check_rate(rate_numerator, rate_denominator)
    _check_trust(trust_extended)
    if (
        _links_between(community, partner)
        .filter(
            Q(currency=currency, partner_currency=partner_currency)
            | Q(currency=partner_currency, partner_currency=currency)
        )
        .exists()
    ):
        raise DomainError("link_exists", f"There is already a link with {partner.name} for these currencies.")
    try:
        with transaction.atomic():
            link = CommunityLink.objects.create(
                community=community, partner=partner, currency=currency, partner_currency=partner_currency,
                rate_numerator=rate_numerator, rate_denominator=rate_denominator, is_active=False,
                created_by=admin.user,
            )  # fmt: skip
            _clearing_account(link, community, currency, partner, trust_extended)
            # The partner's account trusts nobody until its own coordinators say how far.
            _clearing_account(link, partner, partner_currency, community, 0)
            details = {"link": link.pk, "rate": f"{rate_numerator}/{rate_denominator}", "trust": trust_extended}
            audit(community, admin.user, "ledger.link_proposed", None, "", partner=partner.slug, **details)
            audit(partner, admin.user, "ledger.link_proposed", None, "", proposed_by=community.slug, **details)
    except IntegrityError:  # proposed by a concurrent request
        raise DomainError("link_exists", f"There is already a link with {partner.name} for these currencies.") from None
    return link


def accept_link(admin: Member, link: CommunityLink, trust_extended: int) -> CommunityLink:
    """The partner community agrees to the link, saying how far it trusts the proposer (in its own currency)."""
    _require_coordinator(admin)
    if link.partner_id != admin.community_id:
        raise DomainError("not_your_link", "Only the invited community's coordinators can accept this link.")
    _check_trust(trust_extended)
    with transaction.atomic():
        locked = CommunityLink.objects.select_for_update().get(pk=link.pk)
        if locked.is_active:
            raise DomainError("link_already_active", "This link has already been agreed.")
        account = Account.objects.select_for_update().get(link=locked, currency_id=locked.partner_currency_id)
        account.debit_limit = account.debit_limit_base = trust_extended
        account.save(update_fields=["debit_limit", "debit_limit_base"])
        locked.is_active = True
        locked.save(update_fields=["is_active"])
        details = {"link": locked.pk, "trust": trust_extended}
        audit(
            admin.community, admin.user, "ledger.link_accepted", None, "", proposed_by=locked.community.slug, **details
        )
        audit(locked.community, admin.user, "ledger.link_accepted", None, "", partner=admin.community.slug, **details)
    return locked


def pay_across(
    payer: Member,
    payee: Member,
    amount: int,
    key: uuid.UUID,
    memo: str = "",
    *,
    link: CommunityLink | None = None,
) -> CrossPayment:
    """``payer`` pays ``payee`` of a linked community ``amount`` of the payer's currency, converted at the link's rate.

    Both legs are made in one transaction, with keys derived from ``key``: a retry replays both, and if the
    payee's community refuses its leg (its trust limit, say) the payer's leg is undone too."""
    if not isinstance(key, uuid.UUID):
        raise DomainError("invalid_key", "The idempotency key must be a UUID.", "key")
    if not payer.is_active:
        raise DomainError("member_not_active", "Only active members can make payments.")
    if not payee.is_active:
        raise DomainError("member_unknown", "There is no such member to pay.", "payee")
    if payer.community_id == payee.community_id:
        raise DomainError("same_community", "Pay members of your own community with an ordinary payment.", "payee")
    link = _usable_link(link, payer, payee)
    amounts.check_amount(amount)
    outgoing = payer.community_id == link.community_id
    paid_in, received_in = (
        (link.currency, link.partner_currency) if outgoing else (link.partner_currency, link.currency)
    )
    numerator, denominator = (
        (link.rate_numerator, link.rate_denominator) if outgoing else (link.rate_denominator, link.rate_numerator)
    )
    converted = rates.convert(amount, numerator, denominator)
    memo = str(memo).strip()
    reference = f"link:{link.pk}"
    with transaction.atomic():
        sent = transfers.transfer(
            debit=open_account(paid_in, member=payer), credit=_clearing(link, paid_in), amount=amount,
            key=uuid.uuid5(key, "sent"), memo=memo, reference=reference, actor=payer.user,
        )  # fmt: skip
        received_by_clearing = _clearing(link, received_in)
        try:
            received = transfers.transfer(
                debit=received_by_clearing, credit=open_account(received_in, member=payee), amount=converted,
                key=uuid.uuid5(key, "received"), memo=memo, reference=reference, actor=payer.user,
            )  # fmt: skip
        except DomainError as error:
            if error.code == "debit_limit_exceeded":
                raise _trust_error(received_by_clearing, payee.community, payer.community) from None
            raise
    return CrossPayment(link, sent, received)


def _usable_link(link: CommunityLink | None, payer: Member, payee: Member) -> CommunityLink:
    links = _links_between(payer.community, payee.community)
    if link is not None:
        links = links.filter(pk=link.pk)
    found = list(links.select_related("currency", "partner_currency")[:2])
    if not found:
        raise DomainError(
            "no_link", f"{payer.community.name} has no agreement to trade with {payee.community.name}.", "payee"
        )
    if len(found) > 1:
        raise DomainError("link_required", "Choose which agreement to pay through.", "payee")
    if not found[0].is_active:
        raise DomainError(
            "link_not_active", f"{payee.community.name} has not yet agreed to trade with {payer.community.name}."
        )
    return found[0]


def _links_between(one: Community, other: Community) -> QuerySet[CommunityLink]:
    return CommunityLink.objects.filter(
        Q(community=one, partner=other) | Q(community=other, partner=one)
    ).select_related("community", "partner")


def _clearing_account(
    link: CommunityLink, community: Community, currency: Currency, other: Community, trust: int
) -> Account:
    return Account.objects.create(
        community=community, currency=currency, kind=AccountKind.CLEARING, link=link,
        name=f"Trade with {other.name}"[:120], debit_limit=trust, debit_limit_base=trust,
    )  # fmt: skip


def _clearing(link: CommunityLink, currency: Currency) -> Account:
    return Account.objects.select_related("currency").get(link=link, currency=currency)


def _trust_error(clearing: Account, trusting: Community, trusted: Community) -> DomainError:
    currency = clearing.currency
    limit = amounts.format_amount(clearing.debit_limit or 0, currency.kind, currency.scale, currency.symbol)
    return DomainError(
        "trust_limit_exceeded",
        f"{trusting.name} trusts {trusted.name} for at most {limit}, and this payment would go past that trust "
        "limit. Try a smaller amount, or ask the coordinators to raise the limit.",
        "amount",
    )


def _require_coordinator(admin: Member) -> None:
    if not admin.is_coordinator:
        raise DomainError("not_coordinator", "Only coordinators can agree trade with another community.")


def _check_trust(value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_LIMIT:
        raise DomainError("invalid_trust", "The trust limit must be a whole amount from zero upwards.", "trust")
