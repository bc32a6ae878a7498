"""notify's pages: a member's notification settings and phone number, and a coordinator's message log.
Thin: load through ``access``, change through ``actions``, render. Every page works without JavaScript."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from ostrom.communities import access as community_access
from ostrom.communities.domain import DomainError, format_phone
from ostrom.communities.forms import add_domain_error
from ostrom.communities.models import Community, Member

from . import access, registry
from .actions import inbound, outbox, preferences
from .forms import CodeForm, MessageFilterForm, NotificationSettingsForm, PhoneForm, kind_field_name
from .kinds import DIGEST
from .models import ChannelChoice, DigestFrequency, MessageStatus

LOG_PAGE_SIZE = 50
# The log pages through the newest rows only, so counting them stays cheap however long the outbox grows;
# the filters reach older ones.
LOG_MAX_ROWS = 5_000
MAX_SEARCH_WORDS = 5
LOG_FILTERS = ("status", "channel", "q", "page")
# Enough of an address for a coordinator to tell two apart, too little to read off a member's number.
SHOWN_PHONE_DIGITS = 4


def _member(request: HttpRequest, slug: str) -> tuple[Community, Member]:
    community = community_access.get_community_or_404(slug)
    return community, community_access.require_active_member(request.user, community)


def _coordinator(request: HttpRequest, slug: str) -> tuple[Community, Member]:
    community = community_access.get_community_or_404(slug)
    return community, community_access.require_coordinator(request.user, community)


def _phone_display(phone: str | None) -> str:
    return format_phone(phone) if phone else ""


# A member's settings


@login_required
def notification_settings(request: HttpRequest, slug: str) -> HttpResponse:
    """How the member hears about each kind of message, their quiet hours, their digest, and texts on or off."""
    community, member = _member(request, slug)
    user = member.user
    sms_allowed = access.has_verified_phone(user)
    current = preferences.settings_for(member)
    choices = preferences.preferences_for(member)
    # The digest's own channel and frequency are set in the digest part of the form, not as a kind.
    editable = [kind for kind in choices if not kind.essential and kind.key != DIGEST.key]
    initial = {
        "quiet_from": current.quiet_from,
        "quiet_until": current.quiet_until,
        "digest_frequency": current.digest_frequency,
        "digest_channel": current.digest_channel,
    }
    form = NotificationSettingsForm(
        request.POST or None, kinds=editable, sms_allowed=sms_allowed, digest_channel=current.digest_channel,
        initial=initial,
    )  # fmt: skip
    if request.method == "POST" and form.is_valid():
        try:
            _save_settings(member, form, editable, current)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _saved_text(form))
            return redirect("notify_settings", community.slug)
    opt_out = access.sms_opt_out(user)
    context = {
        "community": community,
        "membership": member,
        "form": form,
        "sms_allowed": sms_allowed,
        "always_sent": [kind for kind in choices if kind.essential],
        "phone_display": _phone_display(user.phone),
        "opt_out": opt_out,
        "can_turn_texts_on": opt_out is not None and access.can_turn_texts_back_on(user, opt_out),
    }
    return render(request, "notify/settings.html", context, status=400 if form.errors else 200)


def _save_settings(member: Member, form: NotificationSettingsForm, kinds, current) -> None:
    """All or nothing: a rule broken by the last setting undoes the first."""
    data = form.cleaned_data
    was = {kind.key: kind.channel for kind in kinds}
    with transaction.atomic():
        for key, channel in form.chosen_channels():
            if channel == was[key]:
                continue  # an untouched default stays a default, and follows the kind if its default changes
            try:
                preferences.set_preference(member, key, channel)
            except DomainError as error:
                raise DomainError(error.code, error.message, kind_field_name(key)) from None
        if (data["quiet_from"], data["quiet_until"]) != (current.quiet_from, current.quiet_until):
            preferences.set_quiet_hours(member, data["quiet_from"], data["quiet_until"])
        if (data["digest_frequency"], data["digest_channel"]) != (current.digest_frequency, current.digest_channel):
            preferences.set_digest(member, data["digest_frequency"], data["digest_channel"])


def _saved_text(form: NotificationSettingsForm) -> str:
    digest_only = any(channel == ChannelChoice.DIGEST for _, channel in form.chosen_channels())
    if digest_only and form.cleaned_data["digest_frequency"] == DigestFrequency.OFF:
        return (
            "Saved. You chose “Only in my digest” for some messages but no digest, so you will not hear about "
            "those at all."
        )
    return "Your notification settings are saved."


@login_required
@require_POST
def texts(request: HttpRequest, slug: str) -> HttpResponse:
    """Turn every non-essential text to the member's number off, or back on, as STOP and START do by text."""
    community, member = _member(request, slug)
    user = member.user
    choice = request.POST.get("texts")
    if not user.phone:
        messages.error(request, "There is no phone number on your account, so there are no texts to turn on or off.")
    elif choice == "off":
        inbound.opt_out(user.phone)
        messages.success(request, "Texts are off. We will send no texts except codes you ask for.")
    elif choice == "on":
        opt_out = access.sms_opt_out(user)
        if opt_out is None:
            messages.info(request, "Texts are already on.")
        elif not access.can_turn_texts_back_on(user, opt_out):
            messages.error(request, "First confirm that this phone is yours: we will text it a code.")
            return redirect("notify_phone", community.slug)
        else:
            inbound.opt_in(user.phone)
            messages.success(request, "Texts are back on.")
    return redirect(reverse("notify_settings", args=[community.slug]) + "#texts")


# Phone number


@login_required
def phone(request: HttpRequest, slug: str) -> HttpResponse:
    """Step 1 of confirming a number: type it, and we text a code to it."""
    community, member = _member(request, slug)
    user = member.user
    form = PhoneForm(request.POST or None, initial={"phone": _phone_display(user.phone)})
    if request.method == "POST" and form.is_valid():
        try:
            verification = preferences.start_phone_verification(user, form.cleaned_data["phone"])
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"We have texted a code to {_phone_display(verification.phone)}.")
            return redirect("notify_phone_code", community.slug)
    context = {
        "community": community,
        "membership": member,
        "form": form,
        "phone_display": _phone_display(user.phone),
        "verified": access.has_verified_phone(user),
        "pending": access.pending_verification(user),
    }
    return render(request, "notify/phone.html", context, status=400 if form.errors else 200)


@login_required
def phone_code(request: HttpRequest, slug: str) -> HttpResponse:
    """Step 2: type the code from the text; right, and the number becomes the member's."""
    community, member = _member(request, slug)
    user = member.user
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            confirmed = preferences.confirm_phone(user, form.cleaned_data["code"])
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(
                request, f"Your phone number {_phone_display(confirmed)} is confirmed. You can now choose texts."
            )
            return redirect("notify_settings", community.slug)
    pending = access.pending_verification(user)
    context = {
        "community": community,
        "membership": member,
        "form": form,
        "pending": pending,
        "pending_phone": _phone_display(pending.phone) if pending else "",
    }
    return render(request, "notify/phone_code.html", context, status=400 if form.errors else 200)


# A coordinator's message log


@login_required
def message_log(request: HttpRequest, slug: str) -> HttpResponse:
    """The community's messages, newest first, filtered by status, channel and member; dead letters can be retried."""
    community, coordinator = _coordinator(request, slug)
    form = MessageFilterForm(request.GET or None)
    filters = form.filters() if form.is_bound else {}
    rows = access.community_messages(coordinator)
    if "status" in filters:
        rows = rows.filter(status=filters["status"])
    if "channel" in filters:
        rows = rows.filter(channel=filters["channel"])
    for word in filters.get("q", "").split()[:MAX_SEARCH_WORDS]:
        rows = rows.filter(Q(member__display_name__icontains=word) | Q(member__user__full_name__icontains=word))
    page = Paginator(rows[:LOG_MAX_ROWS], LOG_PAGE_SIZE).get_page(request.GET.get("page"))
    labels = {kind.key: kind.label for kind in registry.kinds()}
    for message in page:
        message.to_shown = masked_address(message.channel, message.to_address)
        message.kind_label = labels.get(message.kind, message.kind)
    context = {
        "community": community,
        "membership": coordinator,
        "form": form,
        "page": page,
        "capped": page.paginator.count >= LOG_MAX_ROWS,
        "max_rows": LOG_MAX_ROWS,
        "dead_count": access.community_messages(coordinator).filter(status=MessageStatus.DEAD).count(),
        "showing_dead": filters.get("status") == MessageStatus.DEAD,
        "filter_query": _filter_query(request.GET, keep_page=False),
        "back": _filter_query(request.GET, keep_page=True),
    }
    return render(request, "notify/message_log.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def message_retry(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Send a dead letter again, from a fresh set of attempts (audited by the action)."""
    community, coordinator = _coordinator(request, slug)
    message = access.get_message_or_404(coordinator, pk)
    try:
        outbox.retry_dead(message, coordinator)
    except DomainError as error:
        messages.error(request, f"Not retried: {error.message}")
    else:
        who = message.member.display_name if message.member else masked_address(message.channel, message.to_address)
        messages.success(request, f"The message to {who} will be sent again in a moment.")
    back = _filter_query(QueryDict(request.POST.get("back", "")), keep_page=True)
    return redirect(reverse("notify_message_log", args=[community.slug]) + (f"?{back}" if back else ""))


def _filter_query(params: QueryDict, *, keep_page: bool) -> str:
    """The log's own filters from a query string, nothing else, so a link or redirect carries only those."""
    kept = QueryDict(mutable=True)
    for name in LOG_FILTERS:
        value = params.get(name, "")
        if value and (keep_page or name != "page"):
            kept[name] = value[:100]
    return kept.urlencode()


def masked_address(channel: str, address: str) -> str:
    """An address with most of it hidden: "ending 0123" for a phone, "m…@example.org" for an email."""
    if channel == "sms":
        digits = "".join(ch for ch in address if ch.isdigit())
        return f"ending {digits[-SHOWN_PHONE_DIGITS:]}" if len(digits) > SHOWN_PHONE_DIGITS else "a short number"
    name, at, domain = address.partition("@")
    return f"{name[:1]}…@{domain}" if at else "…"
