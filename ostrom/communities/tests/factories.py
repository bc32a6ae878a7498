"""factory_boy factories for the people side. Other apps' factories build on these."""

import factory
from django.utils import timezone

from ostrom.communities import domain
from ostrom.communities.models import ApiToken, Community, Member, Organisation, User

PASSWORD = "correct horse battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    full_name = factory.Faker("name", locale="en_GB")
    email = factory.Sequence(lambda n: f"person{n}@example.org")
    phone = None
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class CommunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Community
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Community {n}")
    slug = factory.Sequence(lambda n: f"community-{n}")
    description = "A place where neighbours help each other."
    population = 12000
    join_policy = domain.JoinPolicy.OPEN


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    community = factory.SubFactory(CommunityFactory)
    name = factory.Sequence(lambda n: f"Organisation {n}")
    slug = factory.Sequence(lambda n: f"organisation-{n}")
    kind = domain.OrganisationKind.COUNCIL


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Member

    community = factory.SubFactory(CommunityFactory)
    user = factory.SubFactory(UserFactory)
    display_name = factory.LazyAttribute(lambda m: m.user.full_name.split(" ")[0])
    role = domain.Role.MEMBER
    status = domain.Status.ACTIVE
    approved_at = factory.LazyFunction(timezone.now)
    search_text = factory.LazyAttribute(
        lambda m: domain.search_text(m.display_name, m.skills, m.interests, m.postcode_district)
    )
    skills = factory.LazyFunction(list)
    interests = factory.LazyFunction(list)
    postcode_district = ""


class CoordinatorFactory(MemberFactory):
    role = domain.Role.COORDINATOR


class StaffFactory(MemberFactory):
    role = domain.Role.STAFF
    organisation = factory.SubFactory(OrganisationFactory, community=factory.SelfAttribute("..community"))


def make_token(member: Member, name: str = "test") -> tuple[ApiToken, str]:
    from ostrom.communities import actions

    return actions.create_api_token(member, name)
