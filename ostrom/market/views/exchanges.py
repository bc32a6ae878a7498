"""Exchange pages: contact a poster, my exchanges, an exchange with its thread, terms and buttons, and the pages
that ask why (cancel, dispute, confirm for someone, resolve a dispute). Thin: load through access, change
through actions, render. Every page works without JavaScript: plain forms, POST, redirect, GET."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.views.decorators.http import require_POST

from ostrom.communities import access as community_access
from ostrom.communities.domain import DomainError
from ostrom.communities.models import Community, Member
from ostrom.ledger import access as ledger_access
from ostrom.ledger.notices import money

from ..access import exchanges as access
from ..actions import exchanges as actions
from ..domain import exchanges as domain
from ..domain.exchanges import Step
from ..forms.exchanges import ContactForm, MessageForm, ReasonForm, ResolveForm, ShareForm, TermsForm, ThanksForm
from ..models import Exchange, Listing


def poster_name(listing: Listing) -> str:
    """Who a listing is from, as its page says: the partner organisation, or the member."""
    return listing.organisation.name if listing.organisation_id else listing.member.display_name


def _back(exchange: Exchange) -> HttpResponse:
    return redirect("market_exchange", exchange.community.slug, exchange.pk)


def _describe(exchange: Exchange) -> Exchange:
    """Amounts in words for the templates."""
    if exchange.amount is not None and exchange.currency is not None:
        exchange.amount_text = money(exchange.amount, exchange.currency)
        if exchange.transfer_id and exchange.transfer.amount != exchange.amount:
            exchange.paid_text = money(exchange.transfer.amount, exchange.currency)
    return exchange


# --- contact and lists ------------------------------------------------------------------------------------------


@login_required
@require_POST
def exchange_start(request: HttpRequest, slug: str, listing_id: int) -> HttpResponse:
    """The "Contact" form on a listing's page: opens a thread (or adds to the open one) and shows it."""
    community, viewer = community_access.community_and_member(request.user, slug)
    listing = access.get_listing_to_contact_or_404(viewer, listing_id)
    form = ContactForm(request.POST, poster_name=poster_name(listing))
    if form.is_valid():
        try:
            started = actions.start(viewer, listing, form.cleaned_data["body"])
        except DomainError as error:
            form.show_error(error)
        else:
            if started.created:
                messages.success(request, f"Message sent to {poster_name(listing)}.")
            else:
                messages.success(request, "You were already talking about this: your message is added below.")
            return _back(started.exchange)
    context = {
        "community": community, "membership": viewer, "listing": listing, "form": form,
        "can_contact": access.can_contact(viewer, listing),
    }  # fmt: skip
    return render(request, "market/exchange_contact.html", context, status=400)


@login_required
def exchange_list(request: HttpRequest, slug: str) -> HttpResponse:
    """My exchanges: those going on, then past ones."""
    community, viewer = community_access.community_and_member(request.user, slug)
    going_on, past = access.open_and_past(viewer)
    context = {
        "community": community,
        "membership": viewer,
        "going_on": [_describe(e) for e in going_on[:100]],
        "past": [_describe(e) for e in past[:100]],
        "can_coordinate": access.can_coordinate(viewer),
    }
    return render(request, "market/exchange_list.html", context)


@login_required
def exchange_disputed(request: HttpRequest, slug: str) -> HttpResponse:
    """Coordinators: the disputed exchanges waiting for a decision, oldest first."""
    community, viewer = community_access.community_and_member(request.user, slug)
    disputed = [_describe(e) for e in access.disputed_exchanges(viewer)[:200]]
    context = {"community": community, "membership": viewer, "disputed": disputed}
    return render(request, "market/exchange_disputed.html", context)


# --- one exchange -----------------------------------------------------------------------------------------------


def _detail(
    request: HttpRequest,
    community: Community,
    viewer: Member,
    exchange: Exchange,
    *,
    message_form: MessageForm | None = None,
    terms_form: TermsForm | None = None,
    thanks_form: ThanksForm | None = None,
) -> HttpResponse:
    steps = access.steps_for(viewer, exchange)
    if terms_form is None and Step.PROPOSE in steps:
        terms_form = _terms_form(viewer, exchange)
    other = access.other_party(viewer, exchange)
    context = {
        "community": community,
        "membership": viewer,
        "exchange": _describe(exchange),
        "steps": {step.value for step in steps},
        "thread": access.thread(viewer, exchange),
        "message_form": message_form or (MessageForm() if Step.WRITE in steps else None),
        "terms_form": terms_form,
        "thanks_form": thanks_form or (ThanksForm() if Step.THANK in steps else None),
        "share_form": ShareForm(initial={"share": not access.shares_contact(viewer, exchange)}),
        "other": other,
        "role": "giver" if viewer.pk == exchange.giver_id else "receiver" if other else "coordinator",
        "shares_contact": access.shares_contact(viewer, exchange),
        "contact": access.contact_details(viewer, exchange),
        "open": exchange.status in domain.OPEN_STATUSES,
    }
    failed = any(form is not None and form.errors for form in (message_form, terms_form, thanks_form))
    return render(request, "market/exchange_detail.html", context, status=400 if failed else 200)


def _terms_form(viewer: Member, exchange: Exchange, data=None) -> TermsForm:
    currencies = ledger_access.currencies(viewer)
    return TermsForm(data, community=exchange.community, currencies=currencies, exchange=exchange)


@login_required
def exchange_detail(request: HttpRequest, slug: str, exchange_id: int) -> HttpResponse:
    """The exchange, its thread and what the viewer can do; POST writes a message."""
    community, viewer = community_access.community_and_member(request.user, slug)
    exchange = access.get_exchange_or_404(viewer, exchange_id)
    if request.method != "POST":
        return _detail(request, community, viewer, exchange)
    form = MessageForm(request.POST)
    if form.is_valid():
        try:
            actions.post_message(viewer, exchange, form.cleaned_data["body"])
        except DomainError as error:
            form.show_error(error)
        else:
            return _back(exchange)
    return _detail(request, community, viewer, exchange, message_form=form)


@login_required
@require_POST
def exchange_terms(request: HttpRequest, slug: str, exchange_id: int) -> HttpResponse:
    community, viewer = community_access.community_and_member(request.user, slug)
    exchange = access.get_exchange_or_404(viewer, exchange_id)
    form = _terms_form(viewer, exchange, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            actions.propose_terms(
                viewer, exchange, what=data["what"], scheduled_for=data["scheduled_for"], currency=data["currency"],
                amount=data["amount_units"],
            )  # fmt: skip
        except DomainError as error:
            form.show_error(error)
        else:
            other = access.other_party(viewer, exchange)
            messages.success(
                request, f"Terms sent. {other.display_name if other else 'The other person'} can accept them."
            )
            return _back(exchange)
    return _detail(request, community, viewer, exchange, terms_form=form)


def _button(request: HttpRequest, slug: str, exchange_id: int, act, done: str) -> HttpResponse:
    """A step that needs no form: take it, say what happened (or why not), back to the exchange."""
    _, viewer = community_access.community_and_member(request.user, slug)
    exchange = access.get_exchange_or_404(viewer, exchange_id)
    try:
        act(viewer, exchange)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    return _back(exchange)


@login_required
@require_POST
def exchange_accept(request: HttpRequest, slug: str, exchange_id: int) -> HttpResponse:
    return _button(request, slug, exchange_id, actions.accept_terms, "Agreed. Mark it done once the help is given.")


@login_required
@require_POST
def exchange_done(request: HttpRequest, slug: str, exchange_id: int) -> HttpResponse:
    return _button(request, slug, exchange_id, actions.mark_done, "Marked as done.")


@login_required
@require_POST
def exchange_ask(request: HttpRequest, slug: str, exchange_id: int) -> HttpResponse:
    return _button(
        request, slug, exchange_id, actions.ask_for_confirmation, "We asked them to confirm (at most once a day)."
    )


@login_required
@require_POST
def exchange_confirm(request: HttpRequest, slug: str, exchange_id: int) -> HttpResponse:
    return _button(request, slug, exchange_id, actions.confirm, "Confirmed. The time has been transferred. Thank you!")


@login_required
@require_POST
def exchange_share(request: HttpRequest, slug: str, exchange_id: int) -> HttpResponse:
    form = ShareForm(request.POST)
    share = form.is_valid() and form.cleaned_data["share"]
    said = "Your contact details are shared once they share theirs too." if share else "Your details are private."
    return _button(
        request, slug, exchange_id, lambda viewer, exchange: actions.share_contact(viewer, exchange, share), said
    )


@login_required
@require_POST
def exchange_thanks(request: HttpRequest, slug: str, exchange_id: int) -> HttpResponse:
    community, viewer = community_access.community_and_member(request.user, slug)
    exchange = access.get_exchange_or_404(viewer, exchange_id)
    form = ThanksForm(request.POST)
    if form.is_valid():
        try:
            actions.thank(viewer, exchange, form.cleaned_data["note"])
        except DomainError as error:
            form.show_error(error)
        else:
            messages.success(request, "Thank you note sent.")
            return _back(exchange)
    return _detail(request, community, viewer, exchange, thanks_form=form)


# --- pages that ask why ------------------------------------------------------------------------------------------

REASON_PAGES = {
    # step: (title, label, hint, max characters, button, said afterwards)
    Step.CANCEL: (
        "Cancel this exchange", "Why are you cancelling", "The other person sees this.",
        domain.CANCEL_REASON_MAX_CHARS, "Cancel the exchange", "The exchange is cancelled.",
    ),
    Step.DISPUTE: (
        "Dispute this exchange", "What went wrong", "The other person and the coordinators see this.",
        domain.DISPUTE_REASON_MAX_CHARS, "Dispute it", "A coordinator will look at it and talk to you both.",
    ),
    Step.CONFIRM_FOR: (
        "Confirm on their behalf", "Why are you confirming for them", "Kept in the audit log; they see it too.",
        domain.ON_BEHALF_REASON_MAX_CHARS, "Confirm and transfer", "Confirmed on their behalf; the time is transferred.",
    ),
}  # fmt: skip
REASON_ACTIONS = {
    Step.CANCEL: actions.cancel,
    Step.DISPUTE: actions.dispute,
    Step.CONFIRM_FOR: actions.confirm_on_behalf,
}


def _reason_page(request: HttpRequest, slug: str, exchange_id: int, step: Step) -> HttpResponse:
    community, viewer = community_access.community_and_member(request.user, slug)
    exchange = access.get_exchange_or_404(viewer, exchange_id)
    title, label, hint, max_chars, button, done = REASON_PAGES[step]
    if step not in access.steps_for(viewer, exchange):
        try:
            domain.check(step, access.roles_of(viewer, exchange), exchange.status)
        except DomainError as error:
            messages.error(request, error.message)
        return _back(exchange)
    form = ReasonForm(request.POST or None, label=label, max_chars=max_chars, hint=hint)
    if request.method == "POST" and form.is_valid():
        try:
            REASON_ACTIONS[step](viewer, exchange, form.cleaned_data["reason"])
        except DomainError as error:
            form.show_error(error)
        else:
            messages.success(request, done)
            return _back(exchange)
    context = {
        "community": community, "membership": viewer, "exchange": _describe(exchange), "form": form, "title": title,
        "button": button, "step": step.value,
    }  # fmt: skip
    return render(request, "market/exchange_reason.html", context, status=400 if form.errors else 200)


@login_required
def exchange_cancel(request: HttpRequest, slug: str, exchange_id: int) -> HttpResponse:
    return _reason_page(request, slug, exchange_id, Step.CANCEL)


@login_required
def exchange_dispute(request: HttpRequest, slug: str, exchange_id: int) -> HttpResponse:
    return _reason_page(request, slug, exchange_id, Step.DISPUTE)


@login_required
def exchange_on_behalf(request: HttpRequest, slug: str, exchange_id: int) -> HttpResponse:
    return _reason_page(request, slug, exchange_id, Step.CONFIRM_FOR)


@login_required
def exchange_resolve(request: HttpRequest, slug: str, exchange_id: int) -> HttpResponse:
    """Coordinators: confirm (maybe for another amount) or cancel a disputed exchange, saying why."""
    community, viewer = community_access.community_and_member(request.user, slug)
    exchange = access.get_exchange_or_404(viewer, exchange_id)
    if Step.RESOLVE not in access.steps_for(viewer, exchange):
        try:
            domain.check(Step.RESOLVE, access.roles_of(viewer, exchange), exchange.status)
        except DomainError as error:
            messages.error(request, error.message)
        return _back(exchange)
    form = ResolveForm(request.POST or None, exchange=exchange)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        confirm_it = data["outcome"] == "confirm"
        try:
            actions.resolve(
                viewer, exchange, confirm_it=confirm_it, note=data["note"],
                amount=data["amount_units"] if confirm_it else None,
            )  # fmt: skip
        except DomainError as error:
            form.show_error(error)
        else:
            messages.success(request, "The dispute is resolved; both people are told.")
            return _back(exchange)
    context = {
        "community": community, "membership": viewer, "exchange": _describe(exchange), "form": form,
        "thread": access.thread(viewer, exchange),
    }  # fmt: skip
    return render(request, "market/exchange_resolve.html", context, status=400 if form.errors else 200)


urlpatterns: list[URLPattern] = [
    path("listings/<int:listing_id>/contact/", exchange_start, name="market_exchange_start"),
    path("exchanges/", exchange_list, name="market_exchanges"),
    path("exchanges/disputed/", exchange_disputed, name="market_exchanges_disputed"),
    path("exchanges/<int:exchange_id>/", exchange_detail, name="market_exchange"),
    path("exchanges/<int:exchange_id>/terms/", exchange_terms, name="market_exchange_terms"),
    path("exchanges/<int:exchange_id>/accept/", exchange_accept, name="market_exchange_accept"),
    path("exchanges/<int:exchange_id>/done/", exchange_done, name="market_exchange_done"),
    path("exchanges/<int:exchange_id>/ask/", exchange_ask, name="market_exchange_ask"),
    path("exchanges/<int:exchange_id>/confirm/", exchange_confirm, name="market_exchange_confirm"),
    path("exchanges/<int:exchange_id>/contact-details/", exchange_share, name="market_exchange_share"),
    path("exchanges/<int:exchange_id>/thanks/", exchange_thanks, name="market_exchange_thanks"),
    path("exchanges/<int:exchange_id>/cancel/", exchange_cancel, name="market_exchange_cancel"),
    path("exchanges/<int:exchange_id>/dispute/", exchange_dispute, name="market_exchange_dispute"),
    path("exchanges/<int:exchange_id>/confirm-for/", exchange_on_behalf, name="market_exchange_on_behalf"),
    path("exchanges/<int:exchange_id>/resolve/", exchange_resolve, name="market_exchange_resolve"),
]
