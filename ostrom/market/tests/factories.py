"""factory_boy factories for the marketplace's shared tables. A part's own tables get their factories in its tests."""

import factory
from django.utils import timezone
from django.utils.text import slugify

from ostrom.communities.tests.factories import CommunityFactory, MemberFactory
from ostrom.market.models import Category, Exchange, Listing, ListingKind, ListingStatus


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ["community", "slug"]

    community = factory.SubFactory(CommunityFactory)
    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))


class ListingFactory(factory.django.DjangoModelFactory):
    """An active offer, published now, with its search text filled as the actions would."""

    class Meta:
        model = Listing

    community = factory.SubFactory(CommunityFactory)
    member = factory.SubFactory(MemberFactory, community=factory.SelfAttribute("..community"))
    category = factory.SubFactory(CategoryFactory, community=factory.SelfAttribute("..community"), name="Gardening")
    kind = ListingKind.OFFER
    status = ListingStatus.ACTIVE
    title = factory.Sequence(lambda n: f"Help with the garden {n}")
    description = "Weeding, mowing and planting; I bring my own tools."
    tags = factory.LazyFunction(lambda: ["gardening"])
    published_at = factory.LazyFunction(timezone.now)
    search_text = factory.LazyAttribute(lambda o: " ".join([o.title, o.description, *o.tags, o.category.name]))


class ExchangeFactory(factory.django.DjangoModelFactory):
    """An enquiry about an offer: the offer's poster gives, another member of the community receives."""

    class Meta:
        model = Exchange

    listing = factory.SubFactory(ListingFactory)
    community = factory.SelfAttribute("listing.community")
    giver = factory.SelfAttribute("listing.member")
    receiver = factory.SubFactory(MemberFactory, community=factory.SelfAttribute("..community"))
    started_by = factory.SelfAttribute("receiver")
    what = factory.SelfAttribute("listing.title")
