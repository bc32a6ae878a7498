"""Signed webhooks: only the gateway that knows the secret can tell us about an SMS, and only recently."""

import hashlib
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ostrom.communities.domain import DomainError
from ostrom.notify.domain.signing import sign, verify

SECRET = b"webhook-secret"
NOW = 1_750_000_000
BODY = b'{"from": "+447700900123", "text": "BAL", "id": "abc"}'


def _verify(timestamp=str(NOW), signature=None, body=BODY, secret=SECRET, now=NOW):
    if signature is None:
        signature = sign(SECRET, int(timestamp), BODY)
    verify(secret, timestamp, signature, body, now=now)


def _code(**kwargs) -> str:
    with pytest.raises(DomainError) as caught:
        _verify(**kwargs)
    return caught.value.code


def test_it_accepts_a_request_signed_with_the_secret():
    _verify()


def test_it_signs_the_timestamp_and_the_body_as_documented():
    # The gateway's side, written out the way an operator would configure it.
    expected = hmac.new(SECRET, f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert sign(SECRET, NOW, BODY) == expected


def test_it_accepts_the_signature_in_capitals_or_with_an_algorithm_prefix():
    signature = sign(SECRET, NOW, BODY)
    _verify(signature=signature.upper())
    _verify(signature=f"sha256={signature}")


def test_it_refuses_a_tampered_body():
    assert _code(body=BODY.replace(b"BAL", b"PAY sam 100")) == "signature_invalid"


def test_it_refuses_a_signature_made_with_another_secret():
    assert _code(signature=sign(b"guess", NOW, BODY)) == "signature_invalid"


def test_it_refuses_a_signature_for_another_timestamp():
    assert _code(timestamp=str(NOW + 1), signature=sign(SECRET, NOW, BODY), now=NOW + 1) == "signature_invalid"


def test_it_refuses_an_old_request_even_when_correctly_signed():
    old = NOW - 301
    assert _code(timestamp=str(old), signature=sign(SECRET, old, BODY)) == "signature_expired"


def test_it_accepts_a_request_at_the_edge_of_the_tolerance():
    edge = NOW - 300
    _verify(timestamp=str(edge), signature=sign(SECRET, edge, BODY))


def test_it_refuses_a_request_dated_in_the_future():
    future = NOW + 301
    assert _code(timestamp=str(future), signature=sign(SECRET, future, BODY)) == "signature_expired"


@pytest.mark.parametrize(("timestamp", "signature"), [(None, "abc"), ("", "abc"), (str(NOW), None), (str(NOW), "  ")])
def test_it_refuses_a_request_without_both_headers(timestamp, signature):
    with pytest.raises(DomainError) as caught:
        verify(SECRET, timestamp, signature, BODY, now=NOW)
    assert caught.value.code == "signature_missing"


@pytest.mark.parametrize("timestamp", ["yesterday", "-1", "1.5e9", "١٧٥٠٠٠٠٠٠٠", "9" * 5000])
def test_it_refuses_a_timestamp_that_is_not_a_number_of_seconds(timestamp):
    assert _code(timestamp=timestamp, signature="0" * 64) == "signature_invalid"


def test_it_refuses_everything_when_no_secret_is_configured():
    assert _code(secret=b"", signature=sign(b"", NOW, BODY)) == "signature_invalid"


@given(st.one_of(st.none(), st.text()), st.one_of(st.none(), st.text()), st.binary())
def test_it_answers_any_headers_with_a_domain_error_never_a_crash(timestamp, signature, body):
    try:
        verify(SECRET, timestamp, signature, body, now=NOW)
    except DomainError as error:
        assert error.code in {"signature_missing", "signature_invalid", "signature_expired"}
