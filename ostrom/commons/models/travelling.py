"""Fair access to travelling services (a mobile library, GP outreach, community transport): residents register
needs per place; a limited number of visits is apportioned across places in proportion to weighted need
(domain/apportionment.py), scheduled, published and sent by SMS to those who registered."""

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from ostrom.communities.models import Community, Member, Organisation

__all__ = ["PlaceNeed", "ScheduledVisit", "ServicePlace", "TravellingService", "VisitMethod"]


class VisitMethod(models.TextChoices):
    SAINTE_LAGUE = "sainte_lague", "Sainte-Laguë (divisor method, even-handed between large and small places)"
    DHONDT = "dhondt", "D'Hondt (divisor method, favours larger places)"
    LARGEST_REMAINDER = "largest_remainder", "Largest remainder (Hamilton)"


class TravellingService(models.Model):
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="travelling_services")
    provider = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60)
    description = models.TextField(max_length=4000, blank=True)
    visits = models.PositiveIntegerField(help_text="Visits to share out over the period.")
    method = models.CharField(max_length=20, choices=VisitMethod.choices, default=VisitMethod.SAINTE_LAGUE)
    minimum_per_place = models.PositiveIntegerField(default=0)
    period_starts_on = models.DateField()
    period_ends_on = models.DateField()
    visit_start_minute = models.PositiveSmallIntegerField(default=10 * 60)
    visit_minutes = models.PositiveIntegerField(default=120)
    certificate = models.JSONField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["community", "slug"], name="travelling_service_slug_unique"),
            models.CheckConstraint(
                name="travelling_period_in_order", condition=Q(period_ends_on__gte=F("period_starts_on"))
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ServicePlace(models.Model):
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    service = models.ForeignKey(TravellingService, on_delete=models.CASCADE, related_name="places")
    name = models.CharField(max_length=120)
    stop = models.CharField(
        max_length=200, blank=True, help_text="Where the service stops: the green, the pub car park."
    )

    class Meta:
        ordering = ["service", "name"]
        constraints = [models.UniqueConstraint(fields=["service", "name"], name="service_place_name_unique")]

    def __str__(self) -> str:
        return self.name


class PlaceNeed(models.Model):
    """A resident's registered need at a place, weighted by tier (no car, disability, carer…)."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    place = models.ForeignKey(ServicePlace, on_delete=models.CASCADE, related_name="needs")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="travelling_needs")
    tiers = models.JSONField(default=list, blank=True)
    points = models.PositiveIntegerField(default=1)
    reason = models.CharField(max_length=300, blank=True)
    registered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["place", "member"], name="place_need_once")]

    def __str__(self) -> str:
        return f"{self.member} at {self.place}"


class ScheduledVisit(models.Model):
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    service = models.ForeignKey(TravellingService, on_delete=models.CASCADE, related_name="schedule")
    place = models.ForeignKey(ServicePlace, on_delete=models.CASCADE, related_name="visits")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()

    class Meta:
        ordering = ["starts_at", "id"]

    def __str__(self) -> str:
        return f"{self.service} at {self.place}"
