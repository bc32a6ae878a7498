"""factory_boy factories for the commons' shared tables. An asset comes with its units and, by default, opening
hours of every day 08:00–22:00; a part's own tables get their factories in its tests."""

import secrets

import factory
from django.utils.text import slugify

from ostrom.commons.models import Asset, AssetKind, AssetUnit, OpeningWindow
from ostrom.communities.tests.factories import CommunityFactory, CoordinatorFactory

EVERY_DAY_8_TO_22 = tuple((day, 8 * 60, 22 * 60) for day in range(7))


class AssetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Asset
        skip_postgeneration_save = True

    community = factory.SubFactory(CommunityFactory)
    kind = AssetKind.SPACE
    name = factory.Sequence(lambda n: f"Community kitchen {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))
    description = "A kitchen with two ovens and a big table."
    location = "Fire station, Mill Lane"
    stock = 1
    feed_token = factory.LazyFunction(lambda: secrets.token_urlsafe(32))

    @factory.post_generation
    def units(self, create, extracted, **kwargs):
        if create:
            AssetUnit.objects.bulk_create(
                AssetUnit(community=self.community, asset=self, number=n) for n in range(1, self.stock + 1)
            )

    @factory.post_generation
    def opening(self, create, extracted, **kwargs):
        """``opening=[(weekday, start_minute, end_minute), …]``; default every day 08:00–22:00; () for none."""
        if create:
            windows = EVERY_DAY_8_TO_22 if extracted is None else extracted
            OpeningWindow.objects.bulk_create(
                OpeningWindow(community=self.community, asset=self, weekday=d, start_minute=s, end_minute=e)
                for d, s, e in windows
            )


class ItemsFactory(AssetFactory):
    """Items with a stock quantity: three drills by default."""

    kind = AssetKind.ITEMS
    name = factory.Sequence(lambda n: f"Cordless drill {n}")
    stock = 3


__all__ = ["AssetFactory", "CoordinatorFactory", "ItemsFactory"]
