"""The Alanya simulation and its command: rotation leaves the best-off and worst-off fisher within 10 %, the
lotteries do not, every kilogram of every site-day is counted once, and the same seed gives the same season."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ostrom.commons.domain import alanya
from ostrom.communities.domain import DomainError


@pytest.fixture(scope="module")
def season():
    return alanya.simulate()


def test_a_default_season_is_a_hundred_fishers_from_september_to_may(season):
    assert (season.fishers, season.sites, season.days) == (100, 100, 273)
    assert season.turning_day == 122  # 1 January
    assert len(season.site_kg) == 100
    assert min(season.site_kg) >= alanya.SITE_KG_MIN and max(season.site_kg) <= alanya.SITE_KG_MAX
    assert max(season.site_kg) >= 5 * min(season.site_kg)  # sites really are unequal


def test_rotation_keeps_the_best_off_within_ten_per_cent_of_the_worst_off(season):
    assert season.outcome(alanya.ROTATION).ratio <= alanya.GOAL_RATIO
    assert season.rotation_meets_goal


def test_rotation_beats_the_daily_lottery_which_beats_the_season_lottery(season):
    rotation, daily, once = (
        season.outcome(m).ratio for m in (alanya.ROTATION, alanya.DAILY_LOTTERY, alanya.SEASON_LOTTERY)
    )
    assert rotation < daily < once
    assert once == max(season.site_kg) / min(season.site_kg)  # one draw: you keep your site's catch all season


def test_every_site_is_fished_every_day_under_every_rule(season):
    for outcome in season.outcomes:
        assert set(outcome.totals_kg) == set(range(1, 101))
        assert sum(outcome.totals_kg.values()) == sum(season.site_kg) * season.days


def test_the_same_seed_gives_the_same_season_and_another_seed_another(season):
    assert alanya.simulate() == season
    other = alanya.simulate(seed=7)
    assert other.site_kg != season.site_kg


def test_with_fewer_sites_than_fishers_the_season_lottery_leaves_some_with_nothing():
    season = alanya.simulate(fishers=40, sites=30, days=90)
    assert season.outcome(alanya.SEASON_LOTTERY).worst_kg == 0
    assert season.outcome(alanya.SEASON_LOTTERY).ratio == float("inf")
    rotation = season.outcome(alanya.ROTATION)
    assert rotation.worst_kg > 0
    assert sum(rotation.totals_kg.values()) == sum(season.site_kg) * season.days
    assert rotation.ratio < season.outcome(alanya.DAILY_LOTTERY).ratio


@pytest.mark.parametrize(("days", "turn"), [(273, 122), (365, 163), (30, 13), (2, None), (1, None)])
def test_the_direction_changes_at_the_same_point_of_any_season(days, turn):
    assert alanya.turning_day(days) == turn


@pytest.mark.parametrize(
    ("options", "code"),
    [
        ({"fishers": 0}, "invalid_fishers"),
        ({"fishers": alanya.MAX_FISHERS + 1}, "invalid_fishers"),
        ({"sites": 0}, "invalid_sites"),
        ({"days": 0}, "invalid_days"),
        ({"seed": -1}, "invalid_seed"),
    ],
)
def test_it_refuses_a_season_that_cannot_be_simulated(options, code):
    with pytest.raises(DomainError) as error:
        alanya.simulate(**options)
    assert error.value.code == code


def test_the_command_prints_each_rule_and_says_rotation_meets_the_goal(season):
    out = StringIO()
    call_command("simulate_alanya", stdout=out)
    text = out.getvalue()
    assert "100 fishers, 100 sites" in text
    for outcome in season.outcomes:
        line = next(row for row in text.splitlines() if row.startswith(outcome.label))
        assert f"{outcome.best_kg:,}" in line and f"{outcome.worst_kg:,}" in line
        assert line.rstrip().endswith(f"{outcome.ratio:.3f}")
    assert f"Rotation meets the goal: {season.outcome(alanya.ROTATION).ratio:.3f} <= 1.10." in text


def test_the_command_takes_its_options_and_shows_an_empty_net_as_inf():
    out = StringIO()
    call_command("simulate_alanya", "--fishers", "12", "--sites", "8", "--days", "40", "--seed", "3", stdout=out)
    text = out.getvalue()
    assert "12 fishers, 8 sites" in text and "40 days" in text and "seed 3" in text
    season_line = next(row for row in text.splitlines() if row.startswith("Season lottery"))
    assert season_line.rstrip().endswith("inf")
    expected = alanya.simulate(12, 8, 40, 3).outcome(alanya.ROTATION)
    assert f"{expected.ratio:.3f}" in text
    assert ("meets the goal" if expected.ratio <= alanya.GOAL_RATIO else "misses the goal") in text


def test_the_command_explains_bad_options():
    with pytest.raises(CommandError, match="1 to 500 fishers"):
        call_command("simulate_alanya", "--fishers", "0", stdout=StringIO())
