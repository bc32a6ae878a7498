"""Retries: quick at first, then patient, never more than an hour apart, and spread out after an outage."""

from hypothesis import given
from hypothesis import strategies as st

from ostrom.notify.domain.backoff import MAX_ATTEMPTS, MAX_DELAY_SECONDS, gives_up, next_attempt_delay_seconds


def test_it_doubles_the_wait_from_thirty_seconds():
    bases = [30, 60, 120, 240, 480]
    for attempts, base in enumerate(bases, start=1):
        delay = next_attempt_delay_seconds(attempts, seed="message-1")
        assert base <= delay <= base + base // 5


def test_it_never_waits_more_than_an_hour():
    assert next_attempt_delay_seconds(8) == MAX_DELAY_SECONDS
    assert next_attempt_delay_seconds(10_000) == MAX_DELAY_SECONDS


@given(st.integers(-10, 10_000), st.text())
def test_it_gives_the_same_delay_for_the_same_seed_within_the_bounds(attempts, seed):
    delay = next_attempt_delay_seconds(attempts, seed)
    assert delay == next_attempt_delay_seconds(attempts, seed)
    assert 30 <= delay <= MAX_DELAY_SECONDS


@given(st.integers(1, 50), st.text())
def test_it_never_waits_less_after_more_failures(attempts, seed):
    assert next_attempt_delay_seconds(attempts + 1, seed) >= next_attempt_delay_seconds(attempts, seed)


def test_it_spreads_messages_that_failed_together():
    delays = {next_attempt_delay_seconds(3, seed=f"message-{n}") for n in range(50)}
    assert len(delays) > 10


def test_it_gives_up_after_the_last_attempt():
    assert not gives_up(MAX_ATTEMPTS - 1)
    assert gives_up(MAX_ATTEMPTS)
