"""The marketplace's part of the Millbrook demo: offers and requests, exchanges in every state, volunteering,
events and one report waiting for a coordinator.

Everything is built through the real actions (posting, contacting, agreeing, confirming, applying, logging hours,
answering events, reporting), so the demo obeys the same rules as the product: posting limits, exchange steps,
ledger limits. Only what no action does is written directly: putting what happened weeks ago back at the moment
it happened (the actions stamp "now"), as the people and ledger demos do. Registered with the people demo from
MarketConfig.ready(), after the ledger's part, whose currencies and accounts it uses; deleted before it.

Deterministic: the same seed gives the same ads, exchanges, roles and events (only ids, codes and keys the actions
draw at random differ); times are relative to the moment of loading."""

from __future__ import annotations

import random
import uuid
from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.files.storage import default_storage
from django.db import models, transaction
from django.db.models import Case, F, Q, QuerySet, Value, When
from django.db.models.functions import Replace
from django.utils import timezone

from ostrom.communities.demo import DEMO_SLUGS, EASTFIELD, GWEN_PHONE, NORTHGATE, RIVERSIDE, DemoPart
from ostrom.communities.domain import Role, Status, normalise_phone
from ostrom.communities.models import AuditEntry, Community, Member, Organisation
from ostrom.ledger.actions import accounts
from ostrom.ledger.models import Account, AccountKind, Currency, CurrencyKind, Transfer
from ostrom.notify import registry
from ostrom.notify.domain.sms_commands import ParseError, parse
from ostrom.notify.models import Message, MessageStatus
from ostrom.notify.registry import SmsContext

from .actions import categories, events, exchanges, listings, moderation, volunteering
from .domain.events import EventFields
from .domain.volunteering import RoleFields
from .models import (
    Attendance,
    Block,
    Category,
    Event,
    Exchange,
    ExchangeMessage,
    Listing,
    ListingKind,
    Report,
    ReportReason,
    Rsvp,
    VolunteerApplication,
    VolunteerLog,
    VolunteerPledge,
    VolunteerRole,
)
from .notices.exchanges import when as spoken_time

HOUR = 60
DAY = timedelta(days=1)
# Ads are published within this many days of loading, so none reaches its 60-day end while the demo is fresh.
NEWEST_AD_DAYS, OLDEST_AD_DAYS = 1, 45
RIVERSIDE_SKILL_OFFERS = 32
NORTHGATE_SKILL_OFFERS = 10
RIVERSIDE_OTHER_REQUESTS = 12
NORTHGATE_REQUESTS = 4
PRACTICE = "Northgate Medical Practice"
FOOD_BANK = "Northgate Food Bank"


@dataclass(frozen=True)
class Ad:
    """An offer or a request as a neighbour would write it. ``{language}`` is the poster's other language."""

    title: str
    description: str
    category: str  # a slug of the default category tree
    tags: tuple[str, ...]
    minutes: int | None = None
    remote: bool = False


# Offers by the profile skill that would make someone post them (the people demo's SKILLS): neighbours offer what
# their profile says they are good at, so a search, a profile and an ad tell the same story.
OFFERS: dict[str, tuple[Ad, ...]] = {
    "gardening": (
        Ad("Help in the garden: weeding, pruning and mowing",
           "I've got my own shears and a strimmer. Happy to tackle overgrown borders, cut back a hedge or give the "
           "lawn a once-over. I can't lift paving slabs, sorry.",
           "gardening", ("gardening", "weeding", "mowing", "hedges"), 120),
        Ad("Veg patch and allotment advice",
           "Twenty years on the Ferry Road allotments. I can help you plan a small veg bed, sow seeds with you, or "
           "come and see what's wrong with your tomatoes.",
           "gardening", ("gardening", "allotment", "vegetables"), 60),
        Ad("Hedge trimming and autumn leaf clearing",
           "Electric hedge trimmer and a big stack of garden sacks. I'll take the green waste to the tip for you.",
           "gardening", ("gardening", "hedges", "leaves"), 90),
        Ad("Window boxes and pots planted up",
           "No garden? I'll plant up a window box or a couple of pots with you: herbs, bulbs or summer colour.",
           "gardening", ("gardening", "pots", "herbs"), 60),
    ),
    "lifts to appointments": (
        Ad("Lifts to the surgery, the infirmary or the dentist",
           "I drive a small hatchback with room for a folded wheelchair in the boot. I'll wait with you and bring "
           "you home. A couple of days' notice helps.",
           "lifts", ("lifts", "lifts to appointments", "hospital", "driving"), 120),
        Ad("Lifts to the supermarket and back",
           "I do a big shop at the retail park on Thursday mornings and have three empty seats. Happy to carry "
           "bags to your door.",
           "lifts", ("lifts", "shopping", "driving"), 90),
    ),
    "befriending": (
        Ad("A cuppa and a chat once a week",
           "Retired and enjoy company. I'll pop round for a cup of tea and a natter, do the crossword with you or "
           "go for a short walk by the river.",
           "befriending", ("befriending", "company", "chat"), 60),
        Ad("Walking buddy for a gentle stroll",
           "I walk the river path most days at an easy pace with plenty of benches. Good company if you'd like to "
           "get out a bit more but not on your own.",
           "exercise", ("befriending", "walking", "company"), 60),
    ),
    "phone befriending": (
        Ad("Friendly phone calls for anyone on their own",
           "A regular phone call, same day each week, for a chat about anything and nothing. Good for anyone who "
           "doesn't get out much.",
           "calls", ("phone befriending", "befriending", "chat"), 30, True),
    ),
    "diy": (
        Ad("Shelves, curtain rails and flat-pack furniture",
           "I've got a drill, a spirit level and a good stock of wall plugs. Shelves, curtain poles, pictures and "
           "flat-pack furniture put up properly. No gas or electrics.",
           "diy-and-repairs", ("diy", "shelves", "flat-pack", "drilling"), 90),
        Ad("Small repairs: dripping taps and sticking doors",
           "Washers changed, doors planed, loose handles and squeaky hinges sorted. Tell me what's wrong and I'll "
           "bring the right tools.",
           "diy-and-repairs", ("diy", "repairs", "doors", "taps"), 60),
        Ad("Odd jobs around the house",
           "The little jobs that never get done: a new toilet seat, draught excluders, a wobbly table, a smoke "
           "alarm battery on a high ceiling.",
           "diy-and-repairs", ("diy", "odd jobs", "repairs"), 60),
    ),
    "cooking": (
        Ad("Batch-cooked meals for your freezer",
           "I make a big pot of soup or stew every Sunday and can easily make extra portions. Good for anyone just "
           "out of hospital or with a new baby. Tell me about allergies.",
           "meals", ("cooking", "meals", "soup", "freezer"), 90),
        Ad("Cooking together: simple meals on a budget",
           "Come and cook with me, or I'll come to you: a few cheap, healthy dishes you can make again on your own.",
           "cooking-and-baking", ("cooking", "budget", "lessons"), 90),
    ),
    "it help": (
        Ad("Help with phones, tablets and laptops",
           "Email, WhatsApp video calls, online shopping, getting the printer to talk to the laptop. Patient, and "
           "no jargon.",
           "it-help", ("it help", "computers", "smartphones", "video calls"), 60, True),
        Ad("NHS app, online banking and other accounts set up",
           "I'll sit with you while you set up the NHS app, online banking or your council tax account, and write "
           "down the steps for next time.",
           "it-help", ("it help", "nhs app", "online banking"), 60, True),
        Ad("Slow laptop? I'll give it a tidy-up",
           "Updates, clearing out old programs, a virus check and backing up your photos before anything goes wrong.",
           "it-help", ("it help", "computers", "backups"), 90),
    ),
    "english conversation": (
        Ad("English conversation practice over a coffee",
           "If you're learning English and want to practise speaking, I'll meet you at the library café or chat on "
           "the phone. All levels welcome.",
           "languages", ("english conversation", "english", "esol"), 60, True),
    ),
    "dog walking": (
        Ad("Dog walking along the river path",
           "I walk my own dog twice a day and am happy to take yours along too. Good with nervous dogs.",
           "pet-care", ("dog walking", "dogs", "pets"), 60),
        Ad("Pet sitting: cats fed and dogs walked while you're away",
           "Going away or into hospital? I'll feed the cat, change the litter and send you a photo every day.",
           "pet-care", ("dog walking", "pet sitting", "cats"), 30),
    ),
    "sewing": (
        Ad("Sewing repairs: hems, zips and buttons",
           "Trousers taken up, zips replaced, buttons sewn back on. I have a sewing machine and a tin of every "
           "colour thread.",
           "diy-and-repairs", ("sewing", "mending", "alterations", "clothes"), 60),
        Ad("Curtains shortened and cushion covers made",
           "Bring me your fabric and measurements; I'll hem curtains or run up cushion covers.",
           "diy-and-repairs", ("sewing", "curtains", "alterations"), 120),
    ),
    "form filling": (
        Ad("Help filling in forms: PIP, Blue Badge, housing",
           "Long forms are less daunting with two. I'll read them through with you and help put things in your own "
           "words. Everything stays between us.",
           "forms-and-letters", ("form filling", "forms", "benefits"), 90, True),
    ),
    "letter writing": (
        Ad("Letters written or checked for you",
           "Complaint to the landlord, letter to the council, a card for a family occasion: I'll help you write it "
           "and post it.",
           "forms-and-letters", ("letter writing", "letters", "forms"), 45, True),
    ),
    "shopping": (
        Ad("Your weekly shop picked up",
           "Give me your list on Wednesday and I'll drop the shopping round on Thursday, receipt included.",
           "shopping-and-errands", ("shopping", "errands", "groceries"), 60),
        Ad("Prescriptions collected from the chemist",
           "I pass the chemist on Kirkgate every weekday and can collect your prescription on the way home.",
           "shopping-and-errands", ("shopping", "prescriptions", "errands"), 30),
    ),
    "decorating": (
        Ad("Painting and decorating: a room freshened up",
           "Walls, ceilings and skirting boards. You choose the colour and buy the paint; I bring brushes, rollers "
           "and dust sheets.",
           "diy-and-repairs", ("decorating", "painting", "diy"), 240),
    ),
    "bike repair": (
        Ad("Bike check-ups and puncture repairs",
           "Brakes adjusted, gears tuned, punctures mended. Bring it round or I'll come to you with my toolbox.",
           "diy-and-repairs", ("bike repair", "cycling", "bikes"), 60),
    ),
    "homework help": (
        Ad("Maths and reading help for primary school children",
           "Former teaching assistant. Times tables, reading together and help with homework that baffles parents.",
           "tutoring", ("homework help", "tutoring", "maths", "reading"), 60, True),
    ),
    "baking": (
        Ad("Birthday cakes and bakes for your event",
           "Sponges, traybakes and scones for a birthday, a wake or the coffee morning. Gluten-free on request.",
           "cooking-and-baking", ("baking", "cakes"), 120),
    ),
    "knitting": (
        Ad("Learn to knit (or rescue a dropped stitch)",
           "Beginners welcome. I'll lend you needles and wool and we'll start with a simple scarf.",
           "music-and-arts", ("knitting", "crafts"), 60),
    ),
    "translation": (
        Ad("Help in {language} with letters and appointments",
           "I speak {language} and English. I can help read a letter, fill in a form or come along to an "
           "appointment to help you explain.",
           "languages", ("translation", "interpreting", "letters"), 60, True),
    ),
    "hairdressing": (
        Ad("Haircuts at home for anyone who can't get out",
           "Qualified hairdresser, now retired. Trims, washes and sets in your own kitchen.",
           "other", ("hairdressing", "haircuts"), 45),
    ),
    "furniture moving": (
        Ad("Help moving furniture or a van run to the tip",
           "I have a small van and a strong back. Sofas up stairs, a wardrobe across town, or a run to the tip.",
           "deliveries", ("furniture moving", "removals", "van"), 120),
    ),
}  # fmt: skip

# Requests neighbours post. The first ones carry the story (Amara answers them); the rest are drawn by seed.
ENGLISH_PARTNER = Ad(
    "English conversation partner wanted",
    "I moved here last year and understand a lot, but I'm shy to speak. I'd like someone patient to chat with "
    "once a week so I feel confident at the doctor's and at my children's school.",
    "languages", ("english conversation", "english"), 60,
)  # fmt: skip
MEALS_AFTER_OPERATION = Ad(
    "Meals for a week after my operation",
    "I'm having my knee done and won't be able to stand at the cooker for a while. A few portions of something "
    "tasty for the freezer would be a great help.",
    "meals", ("cooking", "meals"), 180,
)  # fmt: skip
REQUESTS: tuple[Ad, ...] = (
    Ad("Help clearing an overgrown back garden",
       "The brambles have won. I can make the tea and hold the sacks, but I need someone with gloves and loppers.",
       "gardening", ("gardening", "weeding", "hedges"), 180),
    Ad("Seedlings or cuttings for a new allotment plot",
       "Just got a half plot on Ferry Road and it's bare. Any spare seedlings, cuttings or advice very welcome.",
       "food-sharing", ("gardening", "allotment", "seedlings"), 30),
    Ad("Lift to the eye clinic at the infirmary",
       "Appointment at 2pm and I can't drive afterwards because of the drops. Would need bringing home too.",
       "lifts", ("lifts", "hospital"), 150),
    Ad("Someone to walk my dog on Tuesdays and Thursdays",
       "My spaniel, Pip, needs more than I can manage with my hip. Friendly, pulls a bit at first.",
       "pet-care", ("dog walking", "dogs"), 60),
    Ad("Help setting up a new smartphone",
       "My daughter bought me a new phone and I can't get my contacts or photos on to it.",
       "it-help", ("it help", "smartphones"), 60),
    Ad("Trousers taken up and a zip replaced",
       "Two pairs of trousers too long and a coat with a broken zip. I'd be grateful for a neat job.",
       "diy-and-repairs", ("sewing", "mending"), 90),
    Ad("A regular chat for my mum, who lives alone",
       "Mum is 86, sharp as a tack and lonely since Dad died. A visit or a phone call once a week would mean a lot.",
       "befriending", ("befriending", "phone befriending", "company"), 60, True),
    Ad("Help with a PIP form",
       "I've started the form three times and given up. I'd like someone to go through it with me.",
       "forms-and-letters", ("form filling", "forms", "benefits"), 120, True),
    Ad("Flat-pack wardrobe to put together",
       "The instructions have 40 steps and no words. Tools provided, biscuits too.",
       "diy-and-repairs", ("diy", "flat-pack"), 120),
    Ad("Someone to help paint the back bedroom",
       "Paint bought, furniture moved. Two pairs of hands would make it a one-day job.",
       "diy-and-repairs", ("decorating", "painting"), 240),
    Ad("Weekly shop picked up from the Co-op",
       "Just out of hospital and not allowed to carry anything heavy for six weeks.",
       "shopping-and-errands", ("shopping", "errands"), 45),
    Ad("Bike needs a new inner tube and a brake check",
       "I cycle to work and the back tyre keeps going flat. Happy to learn how to do it myself.",
       "diy-and-repairs", ("bike repair", "bikes"), 60),
    Ad("Help with Year 5 maths homework",
       "Fractions have defeated both of us. An hour a week at the library would help my son a lot.",
       "tutoring", ("homework help", "maths"), 60, True),
    Ad("Video calls with my grandchildren in Canada",
       "I'd love to see them as well as hear them. I have a tablet but don't know where to start.",
       "it-help", ("it help", "video calls"), 60, True),
    Ad("Help moving a sofa to my new flat",
       "Only half a mile, but it's a three-seater and I'm on the second floor.",
       "deliveries", ("furniture moving", "removals"), 90),
    Ad("A cake for the street party",
       "We're having a street party for the King's birthday and need a big traybake or two.",
       "cooking-and-baking", ("baking", "cakes"), 120),
    Ad("Practising English with my mother-in-law",
       "She has just arrived from Lahore and would love someone to practise everyday English with, ideally a woman.",
       "languages", ("english conversation", "english"), 60, True),
    Ad("Someone to read my letters to me",
       "My eyesight is going and the letters from the council and the bank are piling up.",
       "forms-and-letters", ("letter writing", "form filling", "letters"), 45),
)  # fmt: skip

SHELVES = Ad(
    "Shelves and a curtain rail put up in my kitchen",
    "I've bought two shelves and a curtain pole but don't own a drill, and the walls are old plaster. It should take "
    "an hour and a half or so. I can cook you dinner as well as pay the hours!",
    "diy-and-repairs", ("diy", "shelves", "curtain rail", "drilling"), 90,
)  # fmt: skip
AMARAS_COOKING = Ad(
    "Home-cooked meals: jollof rice, soups and stews",
    "I love cooking for people. Jollof rice, egusi soup, chicken stew or a plain vegetable soup for anyone who needs "
    "feeding: after an operation, with a new baby, or just a hard week. I work shifts at the infirmary, so weekends "
    "are easiest.",
    "meals", ("cooking", "meals", "nigerian food", "batch cooking"), 120,
)  # fmt: skip
AMARAS_SEEDLINGS = Ad(
    "Spare seedlings from my allotment",
    "Tomato, courgette and bean seedlings every May, more than I can plant. Half-written: I'll add a photo.",
    "food-sharing", ("gardening", "allotment", "seedlings"), 15,
)  # fmt: skip
ON_BEHALF_LIFT = Ad(
    "Lift to the surgery for my blood tests",
    "Every other Tuesday at 9 at the surgery on Kirkgate. I don't drive and the bus doesn't go that way. "
    "Rang the Tuesday drop-in: a coordinator typed this up for me.",
    "lifts", ("lifts", "surgery"), 60,
)  # fmt: skip
EXPIRED_AD = Ad(
    "Christmas wreath-making workshop help",
    "Looking for two people to help set up tables and tidy away at the wreath-making afternoon.",
    "event-help", ("event help", "christmas", "crafts"), 120,
)  # fmt: skip
SPAM = Ad(
    "CHEAP GUTTER CLEANING £40 - RING NOW!!!",
    "BEST PRICES IN MILLBROOK!!! Gutters, driveways, pressure washing, conservatory roofs. Cash only, ring today "
    "for a quote, limited offer!!! Mention this ad for 10% off!!!",
    "other", ("gutters", "cheap", "cash"), None,
)  # fmt: skip
SWIM = Ad(
    "Swimming session at Northgate Leisure Centre",
    "One swim at Northgate Leisure Centre (lane swimming or the family session), for 1 Northgate Credit. Earn "
    "credits by volunteering and spend them here. Show the confirmation on your phone or bring the paper one from "
    "the coordinator.",
    "exercise", ("swimming", "leisure centre", "exercise"), 60,
)  # fmt: skip
BLOOD_PRESSURE = Ad(
    "Free blood pressure checks at the practice",
    "Drop in on Wednesday afternoons for a blood pressure check with our health care assistant. No appointment "
    "needed; we'll tell you what the numbers mean.",
    "listening", ("health", "blood pressure"), 15,
)  # fmt: skip

PLACES = {
    RIVERSIDE.slug: ("Mill Lane", "Ferry Road", "Weir Street", "Riverside Terrace", "Canal Walk", "Willow Crescent",
                     "Bridge End", "near St Mark's church", "by the library", "Kirkgate"),
    NORTHGATE.slug: ("Hawthorn Street", "Chapel Road", "Northgate Parade", "Ashgrove", "Beech Avenue",
                     "near the community centre", "St Anne's Road", "Moor View"),
}  # fmt: skip
CENTRES = {spec.slug: spec.centre for spec in (RIVERSIDE, NORTHGATE, EASTFIELD)}
DAY_PARTS = ("weekday-mornings", "weekday-afternoons", "weekday-evenings", "weekends")
# Times the story sets on purpose (when help or an event is planned, when an ad ends): never moved by ``backdate``.
PLANNED_TIMES = ("scheduled_for", "expires_at", "starts_at", "ends_at")
# The category tree is at most this deep (domain.categories.MAX_DEPTH); deleting takes a level at a time.
MAX_CATEGORY_DEPTH = 3
WEDNESDAY, FRIDAY, SATURDAY, SUNDAY = 2, 4, 5, 6


@dataclass
class Deal:
    """One exchange's story, played through the exchange actions. ``until`` is where it stops: "proposed" (terms
    waiting for the other side to accept), "agreed", "done" (waiting for the receiver), "confirmed", "cancelled"
    or "disputed". ``days_ago`` is when the contact wrote first, ``help_days_ago`` when the help is given
    (negative: in so many days). ``{day}`` in the texts is the weekday the help is given."""

    listing: Listing
    contact: Member
    first: str
    what: str
    minutes: int
    days_ago: int
    help_days_ago: float = 0
    weekday: int | None = None  # the help falls on this weekday (0 Monday), the nearest one to help_days_ago
    at: tuple[int, int] | None = None  # the hour and minute it starts; drawn when not given
    replies: tuple[str, ...] = ()  # the poster answers first, then the contact, and so on
    until: str = "confirmed"
    reason: str = ""  # why it was cancelled or disputed
    thanks: str = ""
    share_contact: bool = False
    currency: Currency | None = None


@dataclass
class _Market:
    """Builds the marketplace through the actions. Its random choices depend only on the seed and on the people
    and ledger demos, which depend only on the seed too."""

    seed: int
    rng: random.Random = field(init=False)
    started: datetime = field(init=False)
    now: datetime = field(init=False)
    marks: dict[type[models.Model], int] = field(default_factory=dict)
    steps: list[tuple[datetime, datetime]] = field(default_factory=list)  # (clock after a step, its story time)
    unused: dict[str, dict[str, list[Ad]]] = field(default_factory=dict)  # offer texts not yet posted, by community
    offers: dict[str, list[Listing]] = field(default_factory=dict)  # active offers posted so far, by community

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed + 5)
        self.started = timezone.now()
        self.now = self.started.replace(second=0, microsecond=0)
        for model in (Message, AuditEntry, Transfer):
            self.marks[model] = model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    # --- time ---------------------------------------------------------------------------------------------------

    def ago(self, days: float, hour: int | None = None, minute: int | None = None) -> datetime:
        """A moment ``days`` before loading, at a plausible time of day; never later than a minute ago."""
        moment = self.now - timedelta(days=days)
        if hour is not None:
            moment = moment.replace(hour=hour, minute=minute if minute is not None else self.rng.choice((0, 15, 30)))
        return min(moment, self.now - timedelta(minutes=1))

    def ahead(self, days: int, hour: int, minute: int = 0, weekday: int | None = None) -> datetime:
        """``days`` after loading (or the first ``weekday`` from then on), at ``hour``:``minute``."""
        moment = (self.now + timedelta(days=days)).replace(hour=hour, minute=minute, second=0, microsecond=0)
        if weekday is not None:
            moment += (weekday - moment.weekday()) % 7 * DAY
        return moment

    def last(self, weekday: int, days_ago: int, hour: int) -> datetime:
        """The latest ``weekday`` at least ``days_ago`` days before loading, at ``hour``."""
        moment = self.ago(days_ago, hour, 0)
        return moment - (moment.weekday() - weekday) % 7 * DAY

    def awake(self, moment: datetime) -> datetime:
        """People write between seven in the morning and ten at night."""
        if moment.hour < 7:
            return moment.replace(hour=self.rng.randint(7, 9), minute=self.rng.randint(0, 59))
        if moment.hour >= 22:
            return (moment + DAY).replace(hour=self.rng.randint(7, 9), minute=self.rng.randint(0, 59))
        return moment

    def settle(self, when: datetime) -> None:
        """The action just taken happened at ``when`` in the story. Only noted here: ``backdate`` moves what it
        wrote there at the end, in a few queries rather than a few for every step."""
        # Steps a few hours apart can run past the moment of loading late at night: they happened just now.
        self.steps.append((timezone.now(), min(when, self.now - timedelta(minutes=1))))

    def backdate(self) -> None:
        """Put every time the actions stamped back at the moment of the story it belongs to. A stamp written
        during a step lies between the clock readings ``settle`` took before and after it, so a CASE per column
        maps each stamp to its step's moment. Notices from the story's past count as sent then: the worker must
        not send weeks-old news on the first ``make run``."""
        self.settle(self.now)  # anything written after the last step (nothing, today) happened at loading
        demo = {"community__slug__in": DEMO_SLUGS}
        since = {model: {"pk__gt": mark} for model, mark in self.marks.items()}
        tables: list[tuple[type[models.Model], dict[str, Any]]] = [
            (Message, since[Message]), (Transfer, since[Transfer]), (AuditEntry, {**since[AuditEntry], **demo}),
            (ExchangeMessage, {"exchange__community__slug__in": DEMO_SLUGS}),
            *((model, demo) for model in (Exchange, Listing, Report, Event, Rsvp, Attendance, VolunteerRole,
                                          VolunteerApplication, VolunteerLog, VolunteerPledge)),
        ]  # fmt: skip
        for model, scope in tables:
            steps = self.steps_that_wrote(model, scope)
            if model is Message:
                sent = self.moment("created_at", steps["created_at"])
                Message.objects.filter(**scope, created_at__gte=self.started).filter(
                    status__in=(MessageStatus.QUEUED, MessageStatus.SCHEDULED)
                ).update(status=MessageStatus.SENT, sent_at=sent, next_attempt_at=sent)
            for column, used in steps.items():
                if used:
                    fresh = model.objects.filter(**scope, **{f"{column}__gte": self.started})
                    fresh.update(**{column: self.moment(column, used)})

    def steps_that_wrote(self, model: type[models.Model], scope: dict[str, Any]) -> dict[str, set[int]]:
        """For each time column of ``model`` (but the planned ones), which steps stamped a value in it."""
        columns = [
            f.name for f in model._meta.concrete_fields
            if isinstance(f, models.DateTimeField) and f.name not in PLANNED_TIMES
        ]  # fmt: skip
        clocks = [clock for clock, _ in self.steps]
        written = Q()
        for column in columns:
            written |= Q(**{f"{column}__gte": self.started})
        used: dict[str, set[int]] = {column: set() for column in columns}
        for row in model.objects.filter(written, **scope).values_list(*columns):
            for column, value in zip(columns, row, strict=True):
                if value is not None and value >= self.started:
                    used[column].add(bisect_left(clocks, value))  # the first step that ended after it
        return used

    def moment(self, column: str, steps: set[int]) -> Case:
        """SQL for the story's moment of the step (among ``steps``, earliest first) that wrote ``column``."""
        whens = [When(**{f"{column}__lte": self.steps[n][0]}, then=Value(self.steps[n][1])) for n in sorted(steps)]
        return Case(*whens, default=F(column))

    # --- people ---------------------------------------------------------------------------------------------------

    @staticmethod
    def member(slug: str, **lookup: Any) -> Member:
        return Member.objects.select_related("user", "community", "organisation").get(
            community__slug=slug, status=Status.ACTIVE, **lookup
        )

    @staticmethod
    def neighbours(slug: str, *, exclude: Iterable[Member] = ()) -> list[Member]:
        """Active residents (not partner staff), oldest membership first."""
        skip = [m.pk for m in exclude]
        return list(
            Member.objects.select_related("user", "community")
            .filter(community__slug=slug, status=Status.ACTIVE)
            .exclude(role=Role.STAFF)
            .exclude(pk__in=skip)
            .order_by("pk")
        )

    @staticmethod
    def room(member: Member, currency: Currency) -> int | None:
        """How much ``member`` can still pay in ``currency`` (None: no limit)."""
        account = Account.objects.filter(currency=currency, member=member).first()
        if account is None:
            return currency.default_debit_limit
        if account.debit_limit is None:
            return None
        return account.balance + account.debit_limit - account.debits_pending

    def can_pay(self, member: Member, currency: Currency, amount: int) -> bool:
        room = self.room(member, currency)
        return room is None or room >= amount

    # --- ads --------------------------------------------------------------------------------------------------------

    def place(self, member: Member) -> dict[str, Any]:
        """A rough place and location: the member's own (already rounded to about 100 m), else near the middle of
        the community's area, so no ad shows a front door."""
        slug = member.community.slug
        latitude, longitude = member.latitude, member.longitude
        if latitude is None or longitude is None:
            centre = CENTRES[slug]
            latitude = Decimal(centre[0]) + Decimal(self.rng.randint(-10, 10)) / 1000
            longitude = Decimal(centre[1]) + Decimal(self.rng.randint(-12, 12)) / 1000
        return {"place_name": self.rng.choice(PLACES.get(slug, ("",))), "latitude": latitude, "longitude": longitude}

    def day_parts(self, member: Member) -> list[str]:
        own = [part for part in member.availability if self.rng.random() < 0.8]
        return own or list(member.availability[:1]) or [self.rng.choice(DAY_PARTS)]

    def fields(self, member: Member, kind: str, ad: Ad) -> dict[str, Any]:
        languages = [language for language in member.languages if language != "english"] or ["polish"]
        language = languages[0].title()
        return {
            "kind": kind,
            "title": ad.title.format(language=language),
            "description": ad.description.format(language=language),
            "category": ad.category,
            "tags": list(ad.tags),
            "availability": self.day_parts(member),
            "remote_ok": ad.remote,
            "estimated_minutes": ad.minutes,
            **self.place(member),
        }

    def post(self, member: Member, kind: str, ad: Ad, when: datetime, **kw: Any) -> Listing:
        listing = listings.create_listing(member, now=when, **self.fields(member, kind, ad), **kw)
        if kind == ListingKind.OFFER and kw.get("publish", True):
            self.offers.setdefault(member.community.slug, []).append(listing)
        return listing

    def ad_day(self) -> datetime:
        return self.ago(self.rng.randint(NEWEST_AD_DAYS, OLDEST_AD_DAYS), self.rng.randint(8, 21))

    def skill_offers(self, slug: str, first: Sequence[Member], others: Sequence[Member], count: int) -> None:
        """Neighbours offer what their profiles say they are good at (``first``'s skills all, then drawn), and
        when profiles run out, a few things their profiles don't mention."""
        pool = self.unused.setdefault(slug, {skill: self.rng.sample(ads, len(ads)) for skill, ads in OFFERS.items()})
        slots = [(m, skill) for m in others for skill in m.skills if skill in pool]
        self.rng.shuffle(slots)
        made = 0
        for member, skill in [(m, skill) for m in first for skill in m.skills if skill in pool] + slots:
            if made < count and pool[skill]:
                self.post(member, ListingKind.OFFER, pool[skill].pop(), self.ad_day())
                made += 1
        spare = [skill for skill in sorted(pool) for _ in pool[skill] if "{language}" not in OFFERS[skill][0].title]
        self.rng.shuffle(spare)
        for skill in spare[: max(count - made, 0)]:
            self.post(self.rng.choice(others), ListingKind.OFFER, pool[skill].pop(), self.ad_day())

    def offer_for(self, slug: str, skill: str, exclude: Sequence[Member]) -> Listing:
        """An active offer of ``skill`` by someone not in ``exclude``: one already posted, else one posted now by a
        neighbour with the skill (or anyone, when nobody lists it)."""
        skip = {m.pk for m in exclude}
        for offer in self.offers.get(slug, []):
            if skill in offer.tags and offer.member_id not in skip and offer.organisation_id is None:
                return offer
        people = self.neighbours(slug, exclude=exclude)
        skilled = [m for m in people if skill in m.skills] or people
        ads = self.unused.get(slug, {}).get(skill) or list(OFFERS[skill])
        return self.post(self.rng.choice(skilled), ListingKind.OFFER, ads.pop(), self.ad_day())

    # --- exchanges --------------------------------------------------------------------------------------------------

    def step(self, when: datetime, action: Callable[..., Any], member: Member, exchange: Exchange, *a: Any,
             **kw: Any) -> None:  # fmt: skip
        action(member, exchange, *a, **kw)
        self.settle(when)

    def deal(self, deal: Deal) -> Exchange:
        """Play one exchange through the actions, each step at its moment in the story."""
        listing = deal.listing
        poster, contact = listing.member, deal.contact
        currency = deal.currency or Currency.objects.get(community_id=listing.community_id, code="hours")
        giver, receiver = (poster, contact) if listing.kind == ListingKind.OFFER else (contact, poster)
        hour, minute = deal.at or (self.rng.choice((10, 11, 14, 15)), 0)
        if deal.help_days_ago < 0:
            planned = self.ahead(round(-deal.help_days_ago), hour, minute, deal.weekday)
        else:
            planned = self.ago(deal.help_days_ago, hour, minute)
            if deal.weekday is not None:  # the weekday before, or else after, if it falls between contact and now
                before = planned - (planned.weekday() - deal.weekday) % 7 * DAY
                after = before + 7 * DAY
                if before >= self.ago(deal.days_ago - 2, hour, minute):
                    planned = before
                elif after <= self.ago(1, hour, minute):
                    planned = after
        day = f"{planned:%A}"
        t = self.ago(deal.days_ago, self.rng.randint(8, 19), self.rng.choice((5, 20, 35, 50)))
        notices_from = Message.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        exchange = exchanges.start(contact, listing, deal.first.format(day=day)).exchange
        self.settle(t)
        for n, reply in enumerate(deal.replies):
            t = self.awake(t + timedelta(hours=self.rng.randint(1, 7), minutes=self.rng.randint(0, 50)))
            self.step(t, exchanges.post_message, poster if n % 2 == 0 else contact, exchange, reply.format(day=day))
        if deal.until == "cancelled":
            self.step(self.awake(t + timedelta(hours=20)), exchanges.cancel, contact, exchange, deal.reason)
            return exchange
        t = self.awake(t + timedelta(hours=self.rng.randint(2, 6)))
        # Terms are agreed for the future at the time; a day now past is put back once agreed (below).
        arranged = planned if planned > self.started + timedelta(hours=1) else self.ahead(2, hour, minute)
        self.step(t, exchanges.propose_terms, giver, exchange, what=deal.what, scheduled_for=arranged,
                  currency=currency, amount=deal.minutes)  # fmt: skip
        if deal.until == "proposed":
            return exchange
        t = self.awake(t + timedelta(hours=self.rng.randint(1, 5)))
        if planned <= t and planned < self.started:
            raise ValueError(f"“{deal.what}”: the help ({planned}) must come after agreeing on it ({t})")
        self.step(t, exchanges.accept_terms, receiver, exchange)
        if deal.share_contact:
            self.step(t + timedelta(minutes=3), exchanges.share_contact, receiver, exchange, True)
            self.step(t + timedelta(minutes=40), exchanges.share_contact, giver, exchange, True)
        if arranged != planned:
            self.put_back(exchange, arranged, planned, notices_from)
        if deal.until == "agreed":
            return exchange
        t = self.awake(planned + timedelta(hours=self.rng.randint(2, 5)))
        if deal.until == "confirmed" and self.rng.random() < 0.3:
            self.step(t, exchanges.confirm, receiver, exchange)  # straight from agreed: "I received it"
        else:
            self.step(t, exchanges.mark_done, giver, exchange)
            if deal.until == "done":
                return exchange
            t = self.awake(t + timedelta(hours=self.rng.randint(3, 20)))
            if deal.until == "disputed":
                self.step(t, exchanges.dispute, receiver, exchange, deal.reason)
                return exchange
            self.step(t, exchanges.confirm, receiver, exchange)
        if deal.thanks:
            self.step(t + timedelta(minutes=self.rng.randint(2, 30)), exchanges.thank, receiver, exchange, deal.thanks)
        return exchange

    def put_back(self, exchange: Exchange, arranged: datetime, planned: datetime, notices_from: int) -> None:
        """The help was arranged for ``planned``, now past: move the exchange there, and the day its thread and
        notices name with it (they were written while the day still lay ahead)."""
        Exchange.objects.filter(pk=exchange.pk).update(scheduled_for=planned)
        said, meant = spoken_time(arranged, exchange.giver), spoken_time(planned, exchange.giver)
        ExchangeMessage.objects.filter(exchange=exchange, body__contains=said).update(
            body=Replace("body", Value(said), Value(meant))
        )
        Message.objects.filter(pk__gt=notices_from, body__contains=said).update(
            body=Replace("body", Value(said), Value(meant))
        )

    # --- the story ------------------------------------------------------------------------------------------------

    def build(self) -> None:
        for slug in DEMO_SLUGS:
            categories.install_default_categories(Community.objects.get(slug=slug))
        self.riverside()
        self.northgate()
        self.events()
        listings.expire_due(now=self.now)  # the task's run, as the demo's first tick would do
        self.backdate()

    def riverside(self) -> None:
        slug = RIVERSIDE.slug
        amara = self.member(slug, user__email="amara@example.org")
        colin = self.member(slug, user__email="colin@example.org")
        phone_only = self.member(slug, user__email__isnull=True)
        others = self.neighbours(slug, exclude=[amara, colin])
        self.skill_offers(slug, [colin], others, RIVERSIDE_SKILL_OFFERS)
        self.amaras_ads(amara)
        story = self.requests(slug, others, RIVERSIDE_OTHER_REQUESTS, paying=2)
        listings.post_on_behalf(
            colin, phone_only, "Rang the Tuesday drop-in; no internet at home, so I typed it up with them.",
            now=self.ago(6, 11, 20), **self.fields(phone_only, ListingKind.REQUEST, ON_BEHALF_LIFT),
        )  # fmt: skip
        self.settle(self.ago(6, 11, 20))
        self.drafts_paused_and_expired(others)
        self.amaras_exchanges(amara, colin, story)
        self.neighbours_exchanges(slug, count=6)
        self.spam_reported(others)

    def amaras_ads(self, amara: Member) -> None:
        self.post(amara, ListingKind.OFFER, AMARAS_COOKING, self.ago(34, 20, 10))
        self.post(amara, ListingKind.REQUEST, SHELVES, self.ago(3, 21, 5))
        self.post(amara, ListingKind.OFFER, AMARAS_SEEDLINGS, self.ago(2, 7, 40), publish=False)

    def requests(self, slug: str, people: Sequence[Member], count: int, paying: int) -> list[Listing]:
        """Requests by neighbours: the story's two (by people whose hours cover the help), then ``count`` drawn."""
        currency = Currency.objects.get(community__slug=slug, code="hours")
        story = []
        for ad in (ENGLISH_PARTNER, MEALS_AFTER_OPERATION)[:paying]:
            able = [m for m in people if self.can_pay(m, currency, ad.minutes or HOUR) and m.user.email]
            story.append(self.post(self.rng.choice(able), ListingKind.REQUEST, ad, self.ad_day()))
        for ad in self.rng.sample(REQUESTS, count):
            self.post(self.rng.choice(people), ListingKind.REQUEST, ad, self.ad_day())
        return story

    def drafts_paused_and_expired(self, others: Sequence[Member]) -> None:
        someone = self.rng.choice(others)
        self.post(someone, ListingKind.OFFER, OFFERS["baking"][0], self.ago(1, 22, 15), publish=False)
        theirs = [o for o in self.offers[RIVERSIDE.slug] if o.member_id in {m.pk for m in others} - {someone.pk}]
        away = self.rng.choice(theirs)
        listings.pause_listing(away.member, away, now=self.ago(4, 9, 30))  # "on holiday for two weeks"
        self.offers[RIVERSIDE.slug].remove(away)
        organiser = self.rng.choice(others)
        published = self.ago(80, 18, 45)
        self.post(organiser, ListingKind.REQUEST, EXPIRED_AD, published, expires_at=published + 30 * DAY)

    def amaras_exchanges(self, amara: Member, colin: Member, story: list[Listing]) -> None:
        """Amara's exchanges, one in every state she can meet, and one disputed for Colin to settle."""
        slug = RIVERSIDE.slug
        english, meals = story
        coordinators = [m for m in self.neighbours(slug) if m.is_coordinator]
        self.deal(Deal(
            self.offer_for(slug, "dog walking", [amara]), amara,
            "Hi! I'm on nights at the infirmary this week. Could you take Biscuit out on {day} afternoon? He needs "
            "a good long walk.",
            "A long afternoon walk for Biscuit", 90, days_ago=16, help_days_ago=14, at=(14, 0),
            replies=("Happy to! Biscuit and mine will get on famously.", "Brilliant, the key is with my neighbour."),
            thanks="Biscuit came home tired and happy. Thank you so much!",
        ))  # fmt: skip
        self.deal(Deal(
            english, amara,
            "Hello, I'd be glad to practise with you. I'm free most weekday mornings: shall we meet at the library café?",
            "English conversation at the library café", HOUR, days_ago=16, help_days_ago=9, weekday=1, at=(10, 0),
            replies=("Thank you! {day} at 10 would be wonderful.",),
            thanks="Amara is so kind and patient. I felt confident at the doctor's this week!",
        ))  # fmt: skip
        listings.close_listing(english.member, english, now=self.ago(1, 19, 0))
        self.deal(Deal(
            meals, amara,
            "Hello, I saw your post. I'd love to cook for you: any foods you can't eat?",
            "A week of meals for the freezer", 3 * HOUR, days_ago=22, help_days_ago=18,
            replies=("That's so kind. No allergies, but nothing too spicy please!", "Noted: mild jollof it is."),
            thanks="The jollof was a triumph. My whole family wants the recipe now!",
        ))  # fmt: skip
        listings.close_listing(meals.member, meals, now=self.ago(15, 10, 0))
        self.deal(Deal(
            self.offer_for(slug, "furniture moving", [amara]), amara,
            "Could you help me carry a chest of drawers up to my flat? It's on the second floor, no lift.",
            "Chest of drawers carried up two floors", 90, days_ago=27, help_days_ago=25,
            thanks="Couldn't have done it on my own. Thank you!",
        ))  # fmt: skip
        self.deal(Deal(
            self.offer_for(slug, "it help", [amara]), amara,
            "Hello! Could you help me set up video calls on my tablet? My mum is in Lagos and I'd love to see her.",
            "Set up WhatsApp video calls on Amara's tablet", HOUR, days_ago=2, help_days_ago=-2, weekday=5, at=(10, 30),
            replies=("Of course. WhatsApp is easiest. Is Saturday morning any good?",
                     "Saturday morning is perfect, I'm off shift. Thank you!"),
            until="proposed",
        ))  # fmt: skip
        neighbour = self.rng.choice([m for m in self.neighbours(slug, exclude=[amara, *coordinators]) if m.user.email])
        self.deal(Deal(
            self.own_offer(amara), neighbour,
            "Hi Amara, my dad has just come home after his hip operation. Could you cook a few meals for his freezer?",
            "Soup and jollof rice for the freezer, four portions", 2 * HOUR, days_ago=3, help_days_ago=-3, weekday=6,
            at=(14, 0),
            replies=("So sorry to hear that. I can do chicken soup and some jollof. Any allergies?",
                     "No allergies, and he loves anything spicy!"),
            until="agreed", share_contact=True,
        ))  # fmt: skip
        self.deal(Deal(
            self.offer_for(slug, "sewing", [amara]), amara,
            "Hello, could you take up two pairs of work trousers? They're about 5 cm too long.",
            "Take up two pairs of trousers", HOUR, days_ago=6, help_days_ago=2,
            replies=("Yes, easily. Drop them round and I'll pin them on you.",), until="done",
        ))  # fmt: skip
        self.deal(Deal(
            self.offer_for(slug, "bike repair", [amara]), amara,
            "Hi, my back tyre keeps going flat. Could you have a look at it?", "Puncture repair", HOUR, days_ago=10,
            replies=("Sure, bring it round on Saturday.",), until="cancelled",
            reason="My brother fixed it at the weekend. Sorry to trouble you, and thank you!",
        ))  # fmt: skip
        self.deal(Deal(
            self.offer_for(slug, "lifts to appointments", [amara, *coordinators]), amara,
            "Could you give me a lift to the eye clinic on {day} morning? The appointment is at 9.",
            "Lift to the eye clinic and back", 2 * HOUR, days_ago=12, help_days_ago=4, weekday=0, at=(8, 30),
            replies=("No problem, I'll pick you up at 8:30.",), until="disputed",
            reason="The lift never came: I waited half an hour and took a taxi. I don't think I should pay 2 hours.",
        ))  # fmt: skip

    def own_offer(self, member: Member) -> Listing:
        return next(o for o in self.offers[member.community.slug] if o.member_id == member.pk)

    def neighbours_exchanges(self, slug: str, count: int) -> None:
        """Neighbours helping each other: a record for matching to weigh, and a lively "recently" on each page."""
        currency = Currency.objects.get(community__slug=slug, code="hours")
        personas = [m for m in self.neighbours(slug) if m.user.email == "amara@example.org" or not m.user.email]
        offers = [o for o in self.offers.get(slug, []) if o.member_id not in {p.pk for p in personas}]
        thanks = ("Thank you, that made my week.", "Brilliant help, thank you!", "So kind. Thank you!", "")
        for n, offer in enumerate(self.rng.sample(offers, min(count, len(offers)))):
            minutes = offer.estimated_minutes or HOUR
            able = [
                m for m in self.neighbours(slug, exclude=[offer.member, *personas])
                if self.can_pay(m, currency, minutes) and m.user.email
            ]  # fmt: skip
            if not able:
                continue
            self.deal(Deal(
                offer, self.rng.choice(able), f"Hello! Is your offer still open? “{offer.title}” is just what I need.",
                offer.title[:60], minutes, days_ago=(days := self.rng.randint(9, 40)),
                help_days_ago=days - self.rng.randint(2, 5),
                replies=("Yes, it is. When suits you?",), thanks=self.rng.choice(thanks),
                until="cancelled" if n == count - 1 else "confirmed",
                reason="Sorry, I've had to go away for a few weeks. I'll get in touch when I'm back.",
            ))  # fmt: skip

    def spam_reported(self, others: Sequence[Member]) -> None:
        """A business advert slipped in; a neighbour reported it and it waits in the coordinators' queue."""
        poster, reporter = self.rng.sample(list(others), 2)
        spam = self.post(poster, ListingKind.OFFER, SPAM, self.ago(2, 20, 40))
        self.offers[RIVERSIDE.slug].remove(spam)
        moderation.report_listing(
            reporter, spam, ReportReason.SPAM,
            "This is a paid business asking for cash, not a timebank offer. Can it come down?",
        )  # fmt: skip
        self.settle(self.ago(1, 9, 15))

    # --- Northgate -------------------------------------------------------------------------------------------------

    def northgate(self) -> None:
        slug = NORTHGATE.slug
        priya = self.member(slug, user__email="priya@example.org")
        dev = self.member(slug, user__email="dev@example.org")
        gwen = self.member(slug, user__phone=normalise_phone(GWEN_PHONE))
        others = self.neighbours(slug, exclude=[gwen])
        self.skill_offers(slug, [], others, NORTHGATE_SKILL_OFFERS)
        for ad in self.rng.sample(REQUESTS, NORTHGATE_REQUESTS):
            self.post(self.rng.choice(others), ListingKind.REQUEST, ad, self.ad_day())
        self.partner_offers(priya)
        self.gwens_texts(gwen)
        self.volunteering(priya, dev)

    def partner_offers(self, priya: Member) -> None:
        """The council's swimming session for one Northgate Credit, bought once; the practice's free checks."""
        slug = NORTHGATE.slug
        credits = Currency.objects.filter(community__slug=slug, kind=CurrencyKind.CREDIT, is_active=True).first()
        if credits is not None and priya.organisation is not None:
            swim = self.post(
                priya, ListingKind.OFFER, SWIM, self.ago(40, 9, 15), organisation=priya.organisation,
                price_amount=credits.scale, price_currency=credits,
            )  # fmt: skip
            swimmers = [m for m in self.neighbours(slug) if self.can_pay(m, credits, credits.scale) and m.user.email]
            if swimmers:
                self.deal(Deal(
                    swim, self.rng.choice(swimmers), "Hello, can I use my credits for a swim on {day} morning?",
                    "One swimming session", credits.scale, days_ago=9, help_days_ago=6, weekday=5, at=(9, 0),
                    currency=credits, replies=("Yes! Show this page at reception.",), thanks="Lovely swim, first in years. Thank you!",
                ))  # fmt: skip
        gp = Member.objects.filter(
            community__slug=slug, status=Status.ACTIVE, role=Role.STAFF, organisation__name=PRACTICE
        ).first()
        if gp is not None:
            self.post(gp, ListingKind.OFFER, BLOOD_PRESSURE, self.ago(20, 13, 0), organisation=gp.organisation)

    def gwens_texts(self, gwen: Member) -> None:
        """Gwen posts by text message: her OFFER and WANT go to the handlers notify's inbound dispatcher calls
        (not through the dispatcher itself, whose per-number rate limit would refuse a demo loaded a few times in
        ten minutes). A coordinator then files her offer under a better category."""
        texts = (
            (self.ago(12, 10, 5), "OFFER Welsh cakes and bara brith baked fresh for your coffee morning or a poorly "
                                  "neighbour. Ring me and I'll bake a batch."),
            (self.ago(5, 9, 40), "WANT someone to change the bulb on my landing please, I can't manage the steps "
                                 "any more"),
        )  # fmt: skip
        sender = SmsContext(phone=gwen.user.phone, user=gwen.user, member=gwen, community=gwen.community)
        posted = []
        for when, text in texts:
            command = parse(text, registry.command_specs())
            if isinstance(command, ParseError):
                raise RuntimeError(f"Gwen's demo text does not parse: {command.message}")
            registry.get_command(command.name).handler(sender, command)
            listing = Listing.objects.filter(member=gwen).latest("pk")
            shift = listing.created_at - when
            Listing.objects.filter(pk=listing.pk).update(
                created_at=when, updated_at=when, published_at=when, expires_at=listing.expires_at - shift
            )
            self.settle(when)
            posted.append(listing)
        coordinator = (
            Member.objects.filter(community_id=gwen.community_id, status=Status.ACTIVE, role=Role.COORDINATOR)
            .order_by("pk")
            .first()
        )
        if coordinator is not None:
            listings.update_listing(
                coordinator, posted[0], category="cooking-and-baking", tags=["baking", "welsh cakes"],
                reason="Gwen texted it in; filed it under baking so people find it", now=self.ago(11, 16, 30),
            )  # fmt: skip
            self.settle(self.ago(11, 16, 30))

    def volunteering(self, priya: Member, dev: Member) -> None:
        """The council's roles with applications and logged hours (time credits from the Northgate hours' issuance
        account), its pledge for this year, and Priya herself packing parcels at the food bank."""
        slug = NORTHGATE.slug
        council = priya.organisation
        if council is None:
            return
        hours = Currency.objects.get(community__slug=slug, code="hours")
        today = volunteering.community_today(priya)
        volunteers = self.neighbours(slug, exclude=[dev])
        volunteers = [m for m in volunteers if not m.is_coordinator]
        self.rng.shuffle(volunteers)
        roles = (
            (RoleFields(
                "Befriender for an older neighbour",
                "Visit an older neighbour who lives alone for an hour a week: a cup of tea, a chat, perhaps a short "
                "walk. We match you with someone near you and check in every month. A DBS check is arranged for you.",
                HOUR, 4, "Across Northgate", today - timedelta(days=80), None,
            ), 4, 2, 6, HOUR),
            (RoleFields(
                "Local authority governor at St Anne's Primary School",
                "Help steer St Anne's as the council's governor: a meeting twice a term, reading papers and a school "
                "visit now and then. No experience of schools needed; training is provided.",
                2 * HOUR, 1, "St Anne's Primary School, St Anne's Road", today - timedelta(days=45),
                today + timedelta(days=365 * 2),
            ), 1, 1, 2, 2 * HOUR),
            (RoleFields(
                "Community garden shift: Saturday mornings",
                "Dig, weed, water and harvest at Northgate Community Garden behind the community centre. Tools, "
                "gloves and tea provided. Come for one shift or every week.",
                3 * HOUR, 6, "Northgate Community Garden", today - timedelta(days=60), today + timedelta(days=150),
            ), 5, 3, 3, 3 * HOUR),
        )  # fmt: skip
        logged = sum(accepted * logs * minutes for _, _, accepted, logs, minutes in roles) + 3 * 150
        self.room_to_issue(hours, logged, dev)
        for fields, applicants, accepted, logs, minutes in roles:
            role = volunteering.post_role(priya, council, fields)
            posted = self.ago((today - fields.starts_on).days + 5, 10, 30)
            self.settle(posted)
            people, volunteers = volunteers[:applicants], volunteers[applicants:] + volunteers[:applicants]
            self.applications(role, priya, people, accepted, posted, logs, minutes)
        self.food_bank(priya)
        volunteering.set_pledge(priya, council, today.year, 200 * HOUR)
        self.settle(self.ago(min(30, today.timetuple().tm_yday), 9, 0))

    def room_to_issue(self, currency: Currency, minutes: int, coordinator: Member) -> None:
        """Raise the issuance account's limit, as a coordinator would, when the logged hours would not fit."""
        issuance = accounts.system_account(currency, AccountKind.ISSUANCE)
        if issuance.debit_limit is None:
            return
        needed = -issuance.balance + issuance.debits_pending + minutes
        if needed > issuance.debit_limit:
            accounts.set_limits(
                coordinator, issuance, debit_limit=needed + 100 * HOUR, credit_limit=issuance.credit_limit,
                reason="The council's volunteers earn time credits: room for this year's hours",
            )  # fmt: skip
            self.settle(self.ago(60, 9, 0))

    def applications(
        self, role: VolunteerRole, manager: Member, people: list[Member], accepted: int, posted: datetime,
        logs: int, minutes: int,
    ) -> None:  # fmt: skip
        notes = ("I have a free morning most weeks and would love to help.", "I've done this before and miss it.",
                 "New to Northgate and keen to meet people.", "")  # fmt: skip
        for n, person in enumerate(people):
            applied = posted + timedelta(days=2 + n, hours=n)
            application = volunteering.apply(person, role, self.rng.choice(notes))
            self.settle(applied)
            if n < accepted:
                volunteering.accept(manager, application, "Welcome aboard! We'll be in touch about your first day.")
                self.settle(applied + timedelta(days=1))
                self.hours(manager, role, person, logs, minutes, applied + timedelta(days=4))
            elif n == accepted and n < len(people) - 1:
                volunteering.decline(manager, application, "We've matched everyone near you for now; we'll call you.")
                self.settle(applied + timedelta(days=1))

    def hours(
        self, manager: Member, role: VolunteerRole, volunteer: Member, count: int, minutes: int, first: datetime
    ) -> None:
        """``count`` logs, a week apart from ``first``, each earning ``minutes`` of time credits."""
        today = volunteering.community_today(manager)
        for n in range(count):
            worked = min((first + timedelta(days=7 * n)).date(), today - timedelta(days=1))
            worked = max(worked, role.starts_on)
            key = uuid.uuid4()  # what the form would carry: a fresh key a log
            volunteering.log_hours(manager, role, volunteer, minutes, worked, key, "Thank you!")
            self.settle(self.evening(worked))

    def evening(self, day: date) -> datetime:
        moment = timezone.make_aware(datetime.combine(day, datetime.min.time())).replace(hour=18)
        return min(moment, self.now - timedelta(hours=1))

    def food_bank(self, priya: Member) -> None:
        """Priya volunteers at the food bank, so the council's pledge shows hours its staff gave this year."""
        packer = Member.objects.filter(
            community_id=priya.community_id, status=Status.ACTIVE, role=Role.STAFF, organisation__name=FOOD_BANK
        ).first()
        if packer is None:
            return
        today = volunteering.community_today(priya)
        this_year = min(today.timetuple().tm_yday - 1, 30)
        role = volunteering.post_role(packer, packer.organisation, RoleFields(
            "Food parcel packing, Tuesdays and Fridays",
            "Sort donations and pack parcels at the community centre for the Tuesday and Friday sessions. Two and a "
            "half hours, no experience needed, and a cuppa at half time.",
            150, 5, "Northgate Community Centre", today - timedelta(days=this_year), None,
        ))  # fmt: skip
        start = self.ago(this_year + 1, 11, 0)
        self.settle(start)
        application = volunteering.apply(
            priya, role, "The council gives us volunteering days; I'd love to use mine here."
        )
        self.settle(start + timedelta(hours=3))
        volunteering.accept(packer, application, "Lovely, see you on Friday!")
        self.settle(start + timedelta(hours=5))
        for n in range(3):
            worked = max(today - timedelta(days=max(this_year - 3 * n, 1)), role.starts_on)
            worked = min(worked, today)
            key = uuid.uuid4()  # what the form would carry: a fresh key a log
            volunteering.log_hours(packer, role, priya, 150, worked, key, "Friday parcels")
            self.settle(self.evening(worked))

    # --- events ----------------------------------------------------------------------------------------------------

    def events(self) -> None:
        river, north = RIVERSIDE.slug, NORTHGATE.slug
        amara = self.member(river, user__email="amara@example.org")
        colin = self.member(river, user__email="colin@example.org")
        admin = self.member(river, role=Role.ADMIN)
        second = (
            Member.objects.filter(community__slug=river, status=Status.ACTIVE, role=Role.COORDINATOR)
            .exclude(pk=colin.pk)
            .order_by("pk")
            .first()
            or colin
        )
        people = self.neighbours(river, exclude=[amara])
        self.past_event(admin, people, 6, EventFields(
            "Riverside litter pick", "Gloves, grabbers and bags provided. Meet at the footbridge; we finish with tea "
            "at St Mark's.", self.now, self.now + timedelta(hours=2), "The footbridge on Ferry Road", 30,
        ), self.last(SATURDAY, 2, 10), also=[amara])  # fmt: skip
        cafe = self.ahead(7, 10, weekday=SATURDAY)
        self.upcoming(colin, people, 9, EventFields(
            "Repair café", "Bring a broken lamp, a torn coat or a wobbly chair and fix it with a volunteer. Tea and "
            "cake while you wait.", cafe, cafe + timedelta(hours=3), "St Mark's church hall", 25,
        ), first=[amara])  # fmt: skip
        swap = self.ahead(14, 14, weekday=SUNDAY)
        self.upcoming(second, people, 9, EventFields(
            "Seed swap and allotment open afternoon", "Swap seeds and seedlings, tour the Ferry Road plots and pick "
            "up a free bag of compost. Limited places for the plot tour.", swap, swap + timedelta(hours=2),
            "Ferry Road allotments", 8,
        ), last=[amara])  # fmt: skip
        priya = self.member(north, user__email="priya@example.org")
        gwen = self.member(north, user__phone=normalise_phone(GWEN_PHONE))
        host = (
            Member.objects.filter(community__slug=north, status=Status.ACTIVE, role=Role.COORDINATOR)
            .order_by("-pk")
            .first()
            or priya
        )
        neighbours = self.neighbours(north, exclude=[gwen])
        self.past_event(priya, neighbours, 7, EventFields(
            "Planting day at Northgate Community Garden", "Help plant the new fruit bushes and the herb spiral. "
            "Wellies recommended; soup at lunchtime.", self.now, self.now + timedelta(hours=4),
            "Northgate Community Garden", 20,
        ), self.last(SUNDAY, 7, 10), organisation=priya.organisation)  # fmt: skip
        coffee = self.ahead(2, 10, weekday=FRIDAY)
        self.upcoming(host, neighbours, 6, EventFields(
            "Friday coffee morning", "Tea, coffee and a warm welcome at the community centre. Gwen's Welsh cakes "
            "most weeks.", coffee, coffee + timedelta(hours=2), "Northgate Community Centre", None,
        ), first=[gwen])  # fmt: skip
        drop_in = self.ahead(8, 13, weekday=WEDNESDAY)
        self.upcoming(priya, neighbours, 5, EventFields(
            "Council drop-in: help with forms and benefits", "Bring your letters: council staff help with benefits, "
            "housing and council tax questions. No appointment needed.", drop_in, drop_in + timedelta(hours=3),
            "Northgate Community Centre, room 2", 12,
        ), organisation=priya.organisation)  # fmt: skip

    def upcoming(
        self, host: Member, people: Sequence[Member], count: int, fields: EventFields, *,
        first: Sequence[Member] = (), last: Sequence[Member] = (), organisation: Organisation | None = None,
    ) -> Event:  # fmt: skip
        """An event to come, with answers; more answers than places make a waiting list."""
        event = events.create_event(host, fields, organisation)
        when = self.ago(self.rng.randint(12, 20), 19, 30)
        self.settle(when)
        answering = [*first, *self.rng.sample([p for p in people if p.pk != host.pk], count), *last]
        for person in answering:
            when += timedelta(hours=self.rng.randint(3, 20))
            events.rsvp(person, event)
            self.settle(min(when, self.ago(0.1)))
        return event

    def past_event(
        self, host: Member, people: Sequence[Member], count: int, fields: EventFields, starts: datetime, *,
        also: Sequence[Member] = (), organisation: Organisation | None = None,
    ) -> None:  # fmt: skip
        """An event that has happened: answered while it lay ahead, then the host took the register. It is made a
        few minutes ahead (events can only be made for the future) and put back where it belongs."""
        soon = self.started + timedelta(minutes=30)
        length = fields.ends_at - fields.starts_at
        event = events.create_event(host, EventFields(
            fields.title, fields.description, soon, soon + length, fields.place, fields.capacity
        ), organisation)  # fmt: skip
        self.settle(starts - 14 * DAY)
        going = [*also, *self.rng.sample([p for p in people if p.pk != host.pk], count)]
        for n, person in enumerate(going):
            events.rsvp(person, event)
            self.settle(starts - timedelta(days=10 - n, hours=-n))
        Event.objects.filter(pk=event.pk).update(starts_at=starts, ends_at=starts + length, updated_at=starts)
        event.refresh_from_db()
        for person in going[:-2]:  # two did not come after all
            events.mark_present(host, event, person)
            self.settle(starts + timedelta(minutes=20))
        events.mark_present(host, event, walk_in_name="A neighbour from Weir Street")
        self.settle(starts + timedelta(minutes=25))


def load(seed: int) -> None:
    """Offers, requests, exchanges, volunteering, events and a report for the demo communities."""
    _Market(seed).build()


def delete(communities: QuerySet[Community]) -> None:
    """Remove the demo's marketplace rows, most dependent first (members and listings are PROTECTed). Runs before
    the ledger part's delete, which removes the transfers the exchanges and volunteering logs point at."""
    Report.objects.filter(community__in=communities).delete()
    Block.objects.filter(community__in=communities).delete()
    Attendance.objects.filter(community__in=communities).delete()
    Rsvp.objects.filter(community__in=communities).delete()
    Event.objects.filter(community__in=communities).delete()
    VolunteerLog.objects.filter(community__in=communities).delete()
    VolunteerApplication.objects.filter(community__in=communities).delete()
    VolunteerPledge.objects.filter(community__in=communities).delete()
    VolunteerRole.objects.filter(community__in=communities).delete()
    Exchange.objects.filter(community__in=communities).delete()  # with their threads
    in_demo = Listing.objects.filter(community__in=communities)
    photos = [name for name in in_demo.exclude(photo="").values_list("photo", flat=True) if name]
    in_demo.delete()
    if photos:
        transaction.on_commit(lambda: _delete_files(photos))
    # Parents are PROTECTed from their children: leaves first, a level at a time.
    tree = Category.objects.filter(community__in=communities)
    for _ in range(MAX_CATEGORY_DEPTH):
        tree.filter(children__isnull=True).delete()
    tree.delete()  # nothing left unless a tree was deeper than the rules allow: then PROTECT says so


def _delete_files(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)


PART = DemoPart(name="market", load=load, delete=delete)
