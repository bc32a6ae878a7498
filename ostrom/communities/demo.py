"""The Millbrook demo: a town with three communities, about sixty people and their partner organisations.

Everything is built through the real actions (sign-up, joining, invitations, assisted sign-up, approvals, role
changes, suspension), so the demo obeys the same rules as the product. Only what no action does is written
directly: founding a community and its first administrator, the site administrator, passwords, and back-dating
timestamps so the story has a history.

Deterministic: the same seed gives exactly the same people, skills, roles and statuses; timestamps are relative
to the moment of loading. Every demo login shares ``DEMO_PASSWORD``: demo data only, never on a real installation.
All contact details are fictional: addresses at example.org and mobile numbers in Ofcom's drama range
(07700 900000-900999), so nothing can ever reach a real person.
"""

from __future__ import annotations

import random
import textwrap
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import F, Max, Q, QuerySet
from django.utils import timezone

from . import actions
from .domain import Availability, ContactChannel, JoinPolicy, OrganisationKind, Role, Status
from .models import ApiToken, AuditEntry, Community, Invitation, Member, Organisation, User

DEMO_PASSWORD = "ostrom-demo"  # noqa: S105 - published on purpose: demo logins only, never a real installation
DEFAULT_SEED = 2026
LOGIN_URL = "http://127.0.0.1:8000/login/"
ADMIN_URL = "http://127.0.0.1:8000/admin/"
TOWN = "Millbrook"
FICTIONAL_EMAIL_DOMAIN = "@example.org"  # reserved for documentation (RFC 2606)
FICTIONAL_PHONE_PREFIX = "+447700900"  # Ofcom's range for drama: never a real subscriber
GWEN_PHONE = "07700 900123"
PENDING_IN_NORTHGATE = 3


@dataclass(frozen=True)
class DemoPart:
    """Another app's share of the story (its currencies, bookings...), registered from its AppConfig.ready()
    so this module imports none of them. ``load`` runs after the people exist; ``delete`` before they go."""

    name: str
    load: Callable[[int], None]
    delete: Callable[[QuerySet[Community]], None]


PARTS: list[DemoPart] = []


def register(part: DemoPart) -> None:
    if all(existing.name != part.name for existing in PARTS):
        PARTS.append(part)


@dataclass(frozen=True)
class CommunitySpec:
    name: str
    slug: str
    join_policy: JoinPolicy
    population: int
    description: str
    districts: tuple[str, ...]
    centre: tuple[str, str]  # latitude, longitude of the middle of the area
    founded_days_ago: int


RIVERSIDE = CommunitySpec(
    name="Riverside Timebank",
    slug="riverside-timebank",
    join_policy=JoinPolicy.OPEN,
    population=9400,
    description=(
        "Neighbours along the river in Millbrook swapping time: an hour you give is an hour you can ask for, "
        "whether it is fixing a shelf, a lift to the hospital or a cup of tea and a chat. Everyone's hour is equal."
    ),
    districts=("LS4", "LS5", "LS6"),
    centre=("53.819", "-1.578"),
    founded_days_ago=1100,
)
NORTHGATE = CommunitySpec(
    name="Northgate Neighbours",
    slug="northgate",
    join_policy=JoinPolicy.APPROVAL,
    population=14200,
    description=(
        "Northgate's neighbourhood network, run with Millbrook Borough Council, Northgate Medical Practice, "
        "St Anne's Primary School and the food bank: residents and public services looking after each other "
        "so nobody in Northgate is left on their own. A coordinator welcomes each new member."
    ),
    districts=("LS7", "LS8"),
    centre=("53.826", "-1.522"),
    founded_days_ago=760,
)
EASTFIELD = CommunitySpec(
    name="Eastfield Recycling Round",
    slug="eastfield-recycling",
    join_policy=JoinPolicy.INVITATION,
    population=6800,
    description=(
        "Residents, Greenway Cargo Bikes and the council collecting recycling street by street by cargo bike, "
        "and weighing what Eastfield keeps out of landfill. Join with the invitation on your street's leaflet."
    ),
    districts=("LS9", "LS14"),
    centre=("53.801", "-1.507"),
    founded_days_ago=320,
)
COMMUNITIES = (RIVERSIDE, NORTHGATE, EASTFIELD)
DEMO_SLUGS = tuple(spec.slug for spec in COMMUNITIES)


@dataclass(frozen=True)
class Persona:
    """A demo login that the command, the README and the tests all describe the same way."""

    name: str
    login: str
    role: str
    where: str
    sees: str


PERSONAS = (
    Persona(
        name="Amara Okafor",
        login="amara@example.org",
        role="Member",
        where=f"{RIVERSIDE.name} and {EASTFIELD.name}",
        sees=(
            "Riverside's dashboard and member directory (search “gardening”), her own profile and what others may "
            "see of it, the switch to Eastfield, and her data download under Your account; in the Marketplace the "
            "helpers suggested for her shelves request and an exchange waiting for her to confirm."
        ),
    ),
    Persona(
        name="Colin Reid",
        login="colin@example.org",
        role="Coordinator",
        where=RIVERSIDE.name,
        sees=(
            "Manage members: invite people, register a resident who has only a phone, the suspended member, "
            "editing a profile on someone's behalf (it asks why), and the audit log; in the Marketplace a disputed "
            "exchange to resolve and a reported ad under Moderation."
        ),
    ),
    Persona(
        name="Priya Shah",
        login="priya@example.org",
        role="Staff of Millbrook Borough Council",
        where=NORTHGATE.name,
        sees=(
            "Northgate's directory and partner organisations; she can edit the council's organisation page, and in "
            "Marketplace → Volunteering answer applications and log volunteers' hours."
        ),
    ),
    Persona(
        name="Dev Patel",
        login="dev@example.org",
        role="Administrator",
        where=NORTHGATE.name,
        sees=(
            f"{PENDING_IN_NORTHGATE} join requests waiting for approval, the four partner organisations, "
            "appointing coordinators, the open invitation and the audit log."
        ),
    ),
    Persona(
        name="Gwen Hughes",
        login=GWEN_PHONE,
        role="Phone-only resident, registered by a coordinator",
        where=NORTHGATE.name,
        sees=(
            "Logging in with a phone number instead of an email address; her profile as her coordinator recorded it; "
            "her texts without a gateway: manage.py sms_receive 07700900123 BAL (or OFFERS baking)"
        ),
    ),
    Persona(
        name="Site administrator",
        login="admin@example.org",
        role="Site administrator (staff and superuser)",
        where="the whole installation",
        sees=f"The Django admin at {ADMIN_URL}",
    ),
)
PERSONA_EMAILS = tuple(persona.login for persona in PERSONAS if "@" in persona.login)


def personas_text() -> str:
    """How to log in as each persona, as `manage.py demo --personas` prints it."""
    name_width = max(len(persona.name) for persona in PERSONAS) + 2
    login_width = max(len(persona.login) for persona in PERSONAS) + 2
    indent = " " * (2 + name_width + login_width)
    lines = [
        f"Demo personas: log in at {LOGIN_URL} with the password {DEMO_PASSWORD}",
        "(demo data only: never load it on a real installation).",
        "",
        f"  {'Persona':<{name_width}}{'Log in with':<{login_width}}Role, where, and what to look at",
    ]
    for persona in PERSONAS:
        lines.append(f"  {persona.name:<{name_width}}{persona.login:<{login_width}}{persona.role} — {persona.where}")
        lines.extend(textwrap.wrap(persona.sees, width=110, initial_indent=indent, subsequent_indent=indent))
    return "\n".join(lines)


# People of Millbrook, with the languages they speak besides English. Personas are not in this pool.
RESIDENTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Margaret Ellis", ()),
    ("Fatima Begum", ("bengali", "sylheti")),
    ("Siobhan Murphy", ("irish",)),
    ("Tomasz Nowak", ("polish",)),
    ("Leah Goldberg", ("hebrew",)),
    ("Gareth Jones", ("welsh",)),
    ("Aisha Mohammed", ("arabic",)),
    ("Rhys Evans", ()),
    ("Mei Lin Chen", ("mandarin", "cantonese")),
    ("Oluwaseun Adeyemi", ("yoruba",)),
    ("Hannah Clarke", ("british sign language",)),
    ("Imran Hussain", ("urdu", "punjabi")),
    ("Joan Whitaker", ()),
    ("Kwame Mensah", ("twi",)),
    ("Zofia Kowalska", ("polish",)),
    ("Declan O'Brien", ()),
    ("Sunita Sharma", ("hindi",)),
    ("Ben Carter", ()),
    ("Yusuf Ali", ("somali",)),
    ("Eleanor Marsh", ("french",)),
    ("Daniel Okoro", ("igbo",)),
    ("Chloe Bennett", ()),
    ("Arjun Mehta", ("gujarati",)),
    ("Bridget Kelly", ()),
    ("Samuel Asante", ("twi",)),
    ("Nadia Rahman", ("bengali",)),
    ("Peter Lawson", ()),
    ("Grace Achieng", ("swahili",)),
    ("Harjit Singh", ("punjabi",)),
    ("Lucy Fairbairn", ()),
    ("Mohammed Iqbal", ("urdu",)),
    ("Ruth Greenwood", ()),
    ("Andrzej Wiśniewski", ("polish",)),
    ("Ifeoma Nwosu", ("igbo",)),
    ("Callum MacLeod", ("scottish gaelic",)),
    ("Shabana Akhtar", ("urdu",)),
    ("Tom Hargreaves", ()),
    ("Ewa Zielińska", ("polish",)),
    ("Ahmed Farah", ("somali", "arabic")),
    ("Maureen Dawson", ()),
    ("Jamal Williams", ()),
    ("Olivia Thornton", ("spanish",)),
    ("Ravi Kumar", ("tamil",)),
    ("Bernadette Walsh", ()),
    ("Kofi Boateng", ("twi",)),
    ("Ayesha Siddiqui", ("urdu",)),
    ("George Pemberton", ()),
    ("Ngozi Eze", ("igbo",)),
    ("Stuart Lamb", ()),
    ("Layla Hassan", ("arabic", "kurdish")),
    ("Patrick Doyle", ()),
    ("Sadia Chowdhury", ("bengali",)),
    ("Alan Brooks", ()),
    ("Hui Min Wong", ("cantonese",)),
    ("Deborah Fisher", ()),
    ("Marcus Campbell", ()),
    ("Roxana Popescu", ("romanian",)),
    ("Dilip Parmar", ("gujarati",)),
    ("Kerry Robinson", ()),
    ("Abdi Warsame", ("somali",)),
    ("Eileen Sutcliffe", ()),
    ("Connor Flynn", ()),
    ("Jasmine Kaur", ("punjabi",)),
    ("Wendy Holt", ()),
    ("Emmanuel Osei", ("twi",)),
    ("Agnieszka Nowicka", ("polish",)),
    ("Lewis Barker", ()),
    ("Farida Yusuf", ("hausa",)),
    ("Keith Naylor", ()),
    ("Precious Moyo", ("shona",)),
)

# Skills with weights: the common ones turn up often, so a directory search finds several people.
SKILLS: tuple[tuple[str, int], ...] = (
    ("gardening", 4),
    ("lifts to appointments", 3),
    ("befriending", 3),
    ("diy", 3),
    ("cooking", 3),
    ("it help", 3),
    ("english conversation", 2),
    ("dog walking", 3),
    ("sewing", 2),
    ("form filling", 2),
    ("shopping", 2),
    ("decorating", 1),
    ("bike repair", 1),
    ("homework help", 1),
    ("baking", 2),
    ("knitting", 1),
    ("letter writing", 1),
    ("phone befriending", 1),
    ("translation", 1),
    ("hairdressing", 1),
    ("furniture moving", 1),
)
RECYCLING_SKILLS: tuple[tuple[str, int], ...] = (
    ("sorting recyclables", 4),
    ("cargo bike riding", 3),
    ("weighing and logging", 2),
    ("repairing furniture", 1),
    ("textile repair", 1),
    ("composting", 2),
    ("leaflet delivery", 2),
)
INTERESTS: tuple[tuple[str, int], ...] = (
    ("community events", 3),
    ("walking group", 2),
    ("local history", 2),
    ("allotments", 2),
    ("repair café", 2),
    ("knit and natter", 1),
    ("reading group", 1),
    ("football", 1),
    ("choir", 1),
    ("climate action", 2),
    ("cycling", 1),
    ("cooking together", 2),
    ("chess", 1),
    ("litter picking", 1),
    ("wildlife", 1),
    ("family history", 1),
    ("coffee mornings", 2),
)
JOBS = (
    "nurse",
    "bus driver",
    "teacher",
    "joiner",
    "librarian",
    "postie",
    "engineer",
    "care worker",
    "shopkeeper",
    "civil servant",
)
BIOS = (
    "Retired {job}. Happy to offer {skill}.",
    "Lived in Millbrook {years} years. Ask me about {skill}.",
    "I work shifts, so my evenings vary, but I can usually fit in {skill}.",
    "Two kids and an allotment. I can offer {skill} most weekends.",
    "Former {job} with time on my hands. {Skill} is my thing.",
    "Moved to Millbrook {years} years ago. I can offer {skill}.",
    "",
)
# How a tag reads in a sentence.
SPELLING = {"diy": "DIY", "it help": "IT help"}
CONSENT_NOTES = (
    "Agreed in person at the Tuesday drop-in in the library; privacy notice read aloud and a paper copy given. "
    "Prefers text messages.",
    "Agreed on the phone with their son on the call; privacy notice posted to them. Prefers a phone call to texts.",
    "Agreed at the food bank with an interpreter; knows they can ask us to delete everything at any time.",
)
DAY = timedelta(days=1)


@dataclass
class Resident:
    """One person of Millbrook, with the things that stay the same in every community they join."""

    full_name: str
    languages: tuple[str, ...]
    district: str
    latitude: Decimal | None
    longitude: Decimal | None
    email: str | None = None
    phone: str | None = None
    job: str = ""
    years_here: int = 0


@dataclass
class Summary:
    """What one load built, for the command to report."""

    communities: int = 0
    memberships: int = 0
    people: int = 0
    organisations: int = 0
    pending: int = 0
    invitations_open: int = 0


@dataclass
class _Town:
    """Builds the town through the actions. Its random choices depend only on the seed, never on the database."""

    seed: int
    rng: random.Random = field(init=False)
    now: datetime = field(init=False)
    pool: list[tuple[str, tuple[str, ...]]] = field(init=False)
    phones: list[str] = field(init=False)
    users_with_password: list[int] = field(default_factory=list)
    people: dict[int, Resident] = field(default_factory=dict)  # by user id, for their second community
    invitation_dates: list[tuple[int, datetime, int]] = field(default_factory=list)
    audit_mark: int = 0

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.now = timezone.now().replace(second=0, microsecond=0)
        self.pool = list(RESIDENTS)
        self.rng.shuffle(self.pool)
        self.phones = [f"07700 900{n:03d}" for n in range(1000) if n != 123]
        self.rng.shuffle(self.phones)
        self.audit_mark = AuditEntry.objects.aggregate(last=Max("pk"))["last"] or 0

    # --- people ---------------------------------------------------------------------------------------------

    def resident(
        self, spec: CommunitySpec, full_name: str = "", languages: Sequence[str] = (), email: str = ""
    ) -> Resident:
        """A person from the pool (or a named persona) living in ``spec``'s area."""
        if not full_name:
            full_name, languages = self.pool.pop()
        latitude = longitude = None
        if self.rng.random() < 0.6:
            latitude = Decimal(spec.centre[0]) + Decimal(self.rng.randint(-12, 12)) / 1000
            longitude = Decimal(spec.centre[1]) + Decimal(self.rng.randint(-15, 15)) / 1000
        return Resident(
            full_name=full_name,
            languages=("english", *languages),
            district=self.rng.choice(spec.districts),
            latitude=latitude,
            longitude=longitude,
            email=email or email_for(full_name),
            phone=self.phones.pop() if self.rng.random() < 0.3 else None,
            job=self.rng.choice(JOBS),
            years_here=self.rng.randint(2, 45),
        )

    def display_name(self, person: Resident) -> str:
        """Most people show their full name; some prefer a first name and initial."""
        if self.rng.random() < 0.3:
            first, *_, last = person.full_name.split()
            return f"{first} {last[0]}."
        return person.full_name

    def weighted(self, choices: Sequence[tuple[str, int]], count: int) -> list[str]:
        """``count`` distinct picks, the heavier ones more often."""
        names = [name for name, _ in choices]
        weights = [weight for _, weight in choices]
        picked: list[str] = []
        while len(picked) < min(count, len(names)):
            name = self.rng.choices(names, weights)[0]
            if name not in picked:
                picked.append(name)
        return picked

    def profile(
        self,
        person: Resident,
        *,
        skills: Sequence[str] = (),
        interests: Sequence[str] = (),
        recycling: bool = False,
        bio: str | None = None,
        contact: Sequence[str] = (),
        contact_point: bool = False,
    ) -> dict[str, Any]:
        """Profile changes for ``update_profile``: given values where the story names them, drawn otherwise.

        A ``contact_point`` (coordinator, administrator, partner staff) is listed and shows their email."""
        if not skills:
            skills = self.weighted(SKILLS, self.rng.randint(1, 3))
            if recycling:
                skills = [*self.weighted(RECYCLING_SKILLS, self.rng.randint(1, 2)), *skills[:1]]
        if not interests:
            interests = self.weighted(INTERESTS, self.rng.randint(0, 3))
        if bio is None:
            template = self.rng.choice(BIOS)
            skill = SPELLING.get(skills[0], skills[0])
            bio = template.format(
                job=person.job, years=person.years_here, skill=skill, Skill=skill[0].upper() + skill[1:]
            )
        availability = [slot for slot in Availability.values if self.rng.random() < 0.45] or [Availability.WEEKENDS]
        if not contact:
            contact = [ContactChannel.EMAIL] if person.email else [ContactChannel.SMS]
            if person.email and person.phone and self.rng.random() < 0.5:
                contact = [*contact, ContactChannel.SMS]
        changes: dict[str, Any] = {
            "skills": list(skills),
            "interests": list(interests),
            "languages": list(person.languages),
            "availability": availability,
            "contact_preferences": list(contact),
            "bio": bio,
            "postcode_district": person.district,
            "share_email": self.rng.random() < 0.3 or contact_point,
            "share_phone": person.phone is not None and self.rng.random() < 0.25,
            "share_location": self.rng.random() < 0.8,
            "listed_in_directory": self.rng.random() < 0.93 or contact_point,
        }
        if person.latitude is not None:
            changes["latitude"], changes["longitude"] = person.latitude, person.longitude
        return changes

    def days_ago(self, low: int, high: int) -> datetime:
        """A moment between ``high`` and ``low`` days ago, at a plausible time of day."""
        day = self.now - self.rng.randint(low, high) * DAY
        return day.replace(hour=self.rng.randint(8, 20), minute=self.rng.choice((0, 10, 15, 25, 30, 40, 45, 55)))

    # --- writing through the actions -----------------------------------------------------------------------

    def settle(self, when: datetime, member: Member | None = None, *, joined: bool = False) -> None:
        """Date what the last action wrote: its audit rows, and the member's joining or approval."""
        AuditEntry.objects.filter(pk__gt=self.audit_mark, community__slug__in=DEMO_SLUGS).update(created_at=when)
        self.audit_mark = AuditEntry.objects.aggregate(last=Max("pk"))["last"] or self.audit_mark
        if member is None:
            return
        member.refresh_from_db(fields=["status", "approved_at"])
        stamps: dict[str, Any] = {"approved_at": when if member.approved_at else None}
        if joined:
            stamps["joined_at"] = when
        Member.objects.filter(pk=member.pk).update(**stamps)

    def found(self, spec: CommunitySpec, person: Resident) -> tuple[Community, Member]:
        """A community and its first administrator. No action founds a community yet, so this writes directly."""
        founded = self.days_ago(spec.founded_days_ago, spec.founded_days_ago)
        community = Community.objects.create(
            name=spec.name,
            slug=spec.slug,
            description=spec.description,
            time_zone="Europe/London",
            locale="en-gb",
            population=spec.population,
            join_policy=spec.join_policy,
            created_at=founded,
        )
        user = User.objects.create_user(
            email=person.email, phone=person.phone, full_name=person.full_name, date_joined=founded
        )
        self.users_with_password.append(user.pk)
        self.people[user.pk] = person
        admin = Member.objects.create(
            community=community,
            user=user,
            display_name=person.full_name,
            role=Role.ADMIN,
            status=Status.ACTIVE,
            joined_at=founded,
            approved_at=founded,
        )
        actions.update_profile(user, admin, **self.profile(person, recycling=spec is EASTFIELD, contact_point=True))
        return community, admin

    def sign_up(
        self, community: Community, person: Resident, when: datetime, *, token: str | None = None, **profile: Any
    ) -> Member:
        """A resident signs up by themselves (with an invitation link when given one) and fills in a profile."""
        member = actions.sign_up(
            community,
            full_name=person.full_name,
            password="",  # the shared demo hash is assigned once at the end: Argon2 is slow on purpose
            email=person.email,
            phone=person.phone,
            display_name=profile.pop("display_name", None) or self.display_name(person),
            invitation_token=token,
        )
        User.objects.filter(pk=member.user_id).update(date_joined=when)
        self.users_with_password.append(member.user_id)
        self.people[member.user_id] = person
        actions.update_profile(member.user, member, **self.profile(person, **profile))
        self.settle(when, member, joined=True)
        return member

    def join(self, community: Community, other: Member, when: datetime, *, token: str | None = None) -> Member:
        """Someone who already belongs elsewhere joins ``community`` too, with a profile for it."""
        member = actions.join(other.user, community, invitation_token=token, display_name=other.display_name)
        person = self.people[other.user_id]
        actions.update_profile(other.user, member, **self.profile(person, recycling=community.slug == EASTFIELD.slug))
        self.settle(when, member, joined=True)
        return member

    def invite(self, by: Member, when: datetime, **fields: Any) -> str:
        """An invitation link. Its dates are moved back at the end, once nobody still has to use it."""
        invitation, token = actions.create_invitation(by, **fields)
        self.invitation_dates.append((invitation.pk, when, fields.get("valid_days", 14)))
        self.settle(when)
        return token

    def approve(self, coordinator: Member, member: Member, when: datetime) -> None:
        actions.approve_member(coordinator, member)
        self.settle(when, member)

    def appoint(self, admin: Member, member: Member, role: Role, when: datetime, reason: str, **kw: Any) -> None:
        actions.change_role(admin, member, role, reason=reason, **kw)
        self.settle(when)

    def organisation(self, coordinator: Member, when: datetime, **fields: Any) -> Organisation:
        organisation = actions.create_organisation(coordinator, **fields)
        Organisation.objects.filter(pk=organisation.pk).update(created_at=when)
        self.settle(when)
        return organisation

    def assisted(
        self, coordinator: Member, person: Resident, when: datetime, consent_note: str, **profile: Any
    ) -> Member:
        """A coordinator registers a resident who has only a phone, then adds what they said about themselves."""
        changes = self.profile(person, **profile)
        member = actions.assisted_sign_up(
            coordinator,
            full_name=person.full_name,
            phone=person.phone or "",
            consent_note=consent_note,
            display_name=person.full_name,
            skills=changes.pop("skills"),
            interests=changes.pop("interests"),
            postcode_district=changes.pop("postcode_district"),
            contact_preferences=changes.pop("contact_preferences"),
        )
        actions.update_profile(
            coordinator.user, member, reason="Added what they told me about themselves when we signed up", **changes
        )
        User.objects.filter(pk=member.user_id).update(date_joined=when)
        self.people[member.user_id] = person
        self.settle(when, member, joined=True)
        return member

    def finish(self) -> None:
        """Back-date the invitations, and give every demo login the one shared password hash."""
        for pk, when, valid_days in self.invitation_dates:
            Invitation.objects.filter(pk=pk).update(created_at=when, expires_at=when + valid_days * DAY)
        # One Argon2 hash for everyone keeps loading fast; sharing it is fine because the password is published.
        User.objects.filter(pk__in=self.users_with_password).update(password=make_password(DEMO_PASSWORD))

    def phone_only(self, spec: CommunitySpec, phone: str = "", full_name: str = "", **kw: Any) -> Resident:
        person = self.resident(spec, full_name, **kw)
        person.email = None
        person.phone = phone or person.phone or self.phones.pop()
        return person

    # --- the story --------------------------------------------------------------------------------------------

    def build(self) -> None:
        riverside_residents = self.riverside()
        northgate_residents = self.northgate(riverside_residents)
        self.eastfield(northgate_residents)
        self.site_administrator()
        self.finish()

    def riverside(self) -> list[Member]:
        """An open timebank, three years old: an administrator, two coordinators, twenty-odd neighbours."""
        spec = RIVERSIDE
        start = spec.founded_days_ago
        community, admin = self.found(spec, self.resident(spec))
        colin = self.sign_up(
            community,
            self.resident(spec, "Colin Reid", email="colin@example.org"),
            self.days_ago(start - 20, start - 20),
            display_name="Colin Reid",
            contact_point=True,
            skills=["diy", "bike repair", "lifts to appointments"],
            interests=["local history", "walking group"],
            bio="Retired joiner. I run the Tuesday drop-in at the library: come and say hello.",
        )
        self.appoint(admin, colin, Role.COORDINATOR, self.days_ago(start - 30, start - 30), "Runs the Tuesday drop-in")
        second = self.sign_up(
            community, self.resident(spec), self.days_ago(start - 200, start - 100), contact_point=True
        )
        self.appoint(admin, second, Role.COORDINATOR, self.days_ago(300, 400), "Shares the coordinating with Colin")
        self.sign_up(
            community,
            self.resident(spec, "Amara Okafor", ["igbo"], email="amara@example.org"),
            self.days_ago(420, 420),
            display_name="Amara Okafor",
            skills=["cooking", "gardening", "english conversation"],
            interests=["allotments", "cooking together"],
            bio="Nurse at the infirmary, allotment at weekends. I'll cook for you if you help me dig.",
        )
        residents = [self.sign_up(community, self.resident(spec), self.days_ago(14, start - 40)) for _ in range(17)]
        self.assisted(
            colin, self.phone_only(spec), self.days_ago(150, 250), CONSENT_NOTES[0], contact=[ContactChannel.SMS]
        )
        suspended = self.rng.choice(residents)
        actions.suspend_member(
            colin, suspended, "Missed three agreed exchanges without a word; paused while we talk it through."
        )
        self.settle(self.days_ago(12, 12))
        return [member for member in residents if member.pk != suspended.pk]

    def northgate(self, riverside_residents: list[Member]) -> list[Member]:
        """A neighbourhood network run with the council: partners, staff, approvals, phone-only neighbours."""
        spec = NORTHGATE
        start = spec.founded_days_ago
        community, dev = self.found(spec, self.resident(spec, "Dev Patel", ["punjabi"], email="dev@example.org"))
        actions.update_profile(
            dev.user,
            dev,
            skills=["it help", "form filling"],
            interests=["football", "community events"],
            bio="Started Northgate Neighbours after the floods. Day job: IT at the council.",
        )
        council, practice, school, food_bank = self.northgate_partners(dev)
        coordinators = []
        for reason in ("Knows every street in Northgate", "Leads the Friday coffee morning"):
            when = self.days_ago(start - 60, start - 20)
            member = self.sign_up(community, self.resident(spec), when, contact_point=True)
            self.approve(dev, member, when + DAY)
            self.appoint(dev, member, Role.COORDINATOR, when + 2 * DAY, reason)
            coordinators.append(member)
        staff = (
            (
                council,
                self.resident(spec, "Priya Shah", ["gujarati", "hindi"], email="priya@example.org"),
                ["form filling", "benefits advice", "housing advice"],
            ),
            (practice, self.resident(spec), ["social prescribing", "befriending"]),
            (school, self.resident(spec), ["homework help", "english conversation"]),
            (food_bank, self.resident(spec), ["food parcels", "cooking", "shopping"]),
        )
        for organisation, person, skills in staff:
            when = self.days_ago(start - 200, start - 130)
            token = self.invite(
                dev,
                when - 2 * DAY,
                email=person.email,
                role=Role.STAFF,
                organisation=organisation,
                note=f"Staff of {organisation.name}",
            )
            self.sign_up(
                community,
                person,
                when,
                token=token,
                skills=skills,
                display_name=person.full_name,
                bio=f"{organisation.name}.",
                contact_point=True,
            )
        residents = []
        for index in range(13):
            waiting = index >= 13 - PENDING_IN_NORTHGATE  # the last few asked this week and are still waiting
            when = self.days_ago(1, 6) if waiting else self.days_ago(30, start - 150)
            member = self.sign_up(community, self.resident(spec), when)
            if not waiting:
                self.approve(coordinators[index % 2], member, when + self.rng.randint(0, 4) * DAY)
                residents.append(member)
        for index, other in enumerate(self.rng.sample(riverside_residents, 2)):
            when = self.days_ago(40, 200)
            self.approve(coordinators[index], self.join(community, other, when), when + DAY)
        self.gwen(coordinators[0])
        self.assisted(coordinators[1], self.phone_only(spec), self.days_ago(60, 200), CONSENT_NOTES[1])
        invitee = self.resident(spec)
        self.invite(
            dev,
            self.days_ago(3, 3),
            email=invitee.email,
            role=Role.STAFF,
            organisation=council,
            note=f"{invitee.full_name}, the council's new community connector",
        )
        return residents

    def northgate_partners(self, dev: Member) -> tuple[Organisation, ...]:
        start = NORTHGATE.founded_days_ago
        partners = (
            dict(
                name="Millbrook Borough Council",
                kind=OrganisationKind.COUNCIL,
                description="The council's communities team co-runs Northgate Neighbours and funds its coordinators.",
                website="https://millbrook.example.org/",
                email="communities@millbrook.example.org",
            ),
            dict(
                name="Northgate Medical Practice",
                kind=OrganisationKind.NHS,
                description=(
                    "The GP practice on Chapel Road, part of Millbrook Community Health NHS Trust. Its social "
                    "prescribing link worker introduces patients to neighbours who can help."
                ),
                email="northgate.practice@nhs.example.org",
            ),
            dict(
                name="St Anne's Primary School",
                kind=OrganisationKind.SCHOOL,
                description="Families from St Anne's swap help with homework, lifts and school uniform.",
            ),
            dict(
                name="Northgate Food Bank",
                kind=OrganisationKind.CHARITY,
                description="Food parcels on Tuesdays and Fridays at the community centre; volunteers welcome.",
            ),
        )
        return tuple(
            self.organisation(dev, self.days_ago(start - 5 - 30 * n, start - 5 - 30 * n), **fields)
            for n, fields in enumerate(partners)
        )

    def gwen(self, coordinator: Member) -> None:
        """Gwen has a landline-and-mobile life: a coordinator registered her over the phone."""
        person = self.phone_only(NORTHGATE, GWEN_PHONE, "Gwen Hughes", languages=["welsh"])
        person.district = "LS7"
        gwen = self.assisted(
            coordinator,
            person,
            self.days_ago(280, 280),
            "Agreed by phone with her daughter on the call; privacy notice read aloud and a paper copy posted. "
            "Prefers a phone call to texts.",
            skills=["knitting", "baking", "befriending"],
            interests=["coffee mornings", "knit and natter"],
            bio="Eighty-one, forty years on Hawthorn Street. Best Welsh cakes in Northgate.",
            contact=[ContactChannel.PHONE, ContactChannel.COORDINATOR],
        )
        # Later she asked to use the site on her granddaughter's tablet: the coordinator gave her a one-time
        # link and she chose a password with it (in the demo, the shared one).
        actions.issue_password_link(coordinator, gwen, "Gwen wants to see the directory on a family tablet")
        self.settle(self.days_ago(25, 25))
        self.users_with_password.append(gwen.user_id)

    def eastfield(self, northgate_residents: list[Member]) -> None:
        """A recycling round joined only by invitation: partners, a spring leaflet that expired, an autumn one."""
        spec = EASTFIELD
        start = spec.founded_days_ago
        community, admin = self.found(spec, self.resident(spec))
        bikes = self.organisation(
            admin,
            self.days_ago(start - 3, start - 3),
            name="Greenway Cargo Bikes",
            kind=OrganisationKind.BUSINESS,
            description="A workers' co-operative that lends the round its cargo bikes and rides the hilly streets.",
            website="https://greenway.example.org/",
        )
        council = self.organisation(
            admin,
            self.days_ago(start - 10, start - 10),
            name="Millbrook Borough Council",
            kind=OrganisationKind.COUNCIL,
            description="The waste and recycling team takes what the round collects and pays a reward per tonne.",
        )
        when = self.days_ago(start - 15, start - 15)
        person = self.resident(spec)
        token = self.invite(admin, when - DAY, email=person.email, role=Role.COORDINATOR, note="Round coordinator")
        coordinator = self.sign_up(community, person, when, token=token, recycling=True, contact_point=True)
        for organisation, skills in ((bikes, ["cargo bike riding", "bike repair"]), (council, ["recycling advice"])):
            when = self.days_ago(start - 60, start - 20)
            person = self.resident(spec)
            token = self.invite(
                admin,
                when - DAY,
                email=person.email,
                role=Role.STAFF,
                organisation=organisation,
                note=f"Staff of {organisation.name}",
            )
            self.sign_up(
                community, person, when, token=token, skills=skills, display_name=person.full_name, contact_point=True
            )
        spring = self.invite(
            coordinator, self.days_ago(start - 30, start - 30), max_uses=60, valid_days=90, note="Spring leaflet"
        )
        residents = [
            self.sign_up(
                community, self.resident(spec), self.days_ago(start - 110, start - 35), token=spring, recycling=True
            )
            for _ in range(6)
        ]
        self.appoint(admin, residents[0], Role.COORDINATOR, self.days_ago(100, 100), "Runs the Saturday weigh-in")
        neighbour = self.rng.choice(northgate_residents)
        self.join(community, neighbour, self.days_ago(start - 100, start - 60), token=spring)
        autumn = self.invite(coordinator, self.days_ago(21, 21), max_uses=40, valid_days=60, note="Autumn leaflet")
        for _ in range(2):
            self.sign_up(community, self.resident(spec), self.days_ago(5, 18), token=autumn, recycling=True)
        amara = Member.objects.get(community__slug=RIVERSIDE.slug, user__email="amara@example.org")
        self.join(community, amara, self.days_ago(9, 9), token=autumn)
        invitee = self.resident(spec)
        self.invite(
            coordinator,
            self.days_ago(2, 2),
            email=invitee.email,
            note=f"{invitee.full_name}, who asked at the Saturday weigh-in",
        )

    def site_administrator(self) -> None:
        """The Django admin's superuser: no membership, because it runs the installation, not a community."""
        user = User.objects.create_superuser("admin@example.org", full_name="Site administrator")
        self.users_with_password.append(user.pk)


def email_for(full_name: str) -> str:
    """first.last@example.org, in plain ASCII: ``Andrzej Wiśniewski`` → ``andrzej.wisniewski@example.org``."""
    ascii_name = unicodedata.normalize("NFKD", full_name).encode("ascii", "ignore").decode()
    parts = ["".join(ch for ch in part.lower() if ch.isalnum()) for part in ascii_name.split()]
    return ".".join(part for part in parts if part) + FICTIONAL_EMAIL_DOMAIN


def demo_communities() -> QuerySet[Community]:
    return Community.objects.filter(slug__in=DEMO_SLUGS)


def is_loaded() -> bool:
    """True once any demo community exists."""
    return demo_communities().exists()


@transaction.atomic
def load(seed: int = DEFAULT_SEED) -> Summary:
    """Build Millbrook from ``seed`` in one transaction: all of it or, if anything fails, none of it."""
    _Town(seed).build()
    for part in PARTS:
        part.load(seed)
    return summary()


def summary() -> Summary:
    members = Member.objects.filter(community__in=demo_communities())
    return Summary(
        communities=demo_communities().count(),
        memberships=members.count(),
        people=members.values("user").distinct().count(),
        organisations=Organisation.objects.filter(community__in=demo_communities()).count(),
        pending=members.filter(status=Status.PENDING).count(),
        invitations_open=Invitation.objects.filter(
            community__in=demo_communities(), revoked_at__isnull=True, expires_at__gt=timezone.now()
        )
        .exclude(use_count__gte=F("max_uses"))
        .count(),
    )


@transaction.atomic
def delete() -> int:
    """Remove the demo communities with everything in them, and the fictional people nobody else knows.

    Several foreign keys PROTECT (a member's user and organisation, an invitation's author), so rows go in
    dependency order rather than by one cascading delete of the communities."""
    communities = demo_communities()
    candidates = set(Member.objects.filter(community__in=communities).values_list("user_id", flat=True))
    candidates |= set(
        User.objects.filter(Q(email__in=PERSONA_EMAILS) | Q(phone="+447700900123")).values_list("pk", flat=True)
    )
    for part in reversed(PARTS):
        part.delete(communities)
    Invitation.objects.filter(community__in=communities).delete()
    ApiToken.objects.filter(community__in=communities).delete()
    AuditEntry.objects.filter(community__in=communities).delete()
    Member.objects.filter(community__in=communities).delete()
    Organisation.objects.filter(community__in=communities).delete()
    communities.delete()
    fictional = Q(email__endswith=FICTIONAL_EMAIL_DOMAIN) | Q(phone__startswith=FICTIONAL_PHONE_PREFIX)
    # Someone with a membership outside the demo keeps their account.
    deleted, _ = User.objects.filter(fictional, pk__in=candidates, memberships__isnull=True).delete()
    return deleted


@transaction.atomic
def reset(seed: int = DEFAULT_SEED) -> Summary:
    """Delete the demo and build it again from ``seed``, in one transaction."""
    delete()
    return load(seed)
