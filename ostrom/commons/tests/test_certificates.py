"""Certificates: the same run gives the same certificate, the record's text is canonical, and anything tampered
with (inputs, result or the certificate itself) fails verification."""

import dataclasses
import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ostrom.commons.domain.certificates import Certificate, canonical_json, certify, digest, verify
from ostrom.communities.domain import DomainError

INPUTS = {"members": [7, 3, 9], "slots": ["sat-am", "sat-pm"], "points": {"7": 10, "3": 15, "9": 10}}


def reverse_rerun(seed: int, inputs):
    """A tiny deterministic "method": members in reverse order, rotated by the seed."""
    members = list(reversed(inputs["members"]))
    shift = seed % len(members)
    return {"order": members[shift:] + members[:shift]}


def honest_certificate(seed: int = 4) -> Certificate:
    return certify("reverse", seed, INPUTS, reverse_rerun(seed, INPUTS), {"everyone_once": True})


def test_the_same_run_gives_the_same_certificate():
    assert honest_certificate() == honest_certificate()
    assert honest_certificate().holds


def test_a_different_seed_gives_a_different_certificate():
    assert honest_certificate(4).result_hash != honest_certificate(5).result_hash


def test_an_honest_certificate_verifies():
    assert verify(honest_certificate(), INPUTS, reverse_rerun)


def test_tampered_inputs_fail_verification():
    tampered = {**INPUTS, "members": [7, 3, 10]}
    assert not verify(honest_certificate(), tampered, reverse_rerun)


def test_a_certificate_for_a_forged_result_fails_verification():
    forged = certify("reverse", 4, INPUTS, {"order": [7, 3, 9]}, {"everyone_once": True})
    assert not verify(forged, INPUTS, reverse_rerun)


def test_an_edited_result_hash_fails_verification():
    edited = dataclasses.replace(honest_certificate(), result_hash=digest({"order": [3, 9, 7]}))
    assert not verify(edited, INPUTS, reverse_rerun)


def test_an_edited_seed_fails_verification():
    edited = dataclasses.replace(honest_certificate(4), seed=5)
    assert not verify(edited, INPUTS, reverse_rerun)


def test_inputs_the_method_refuses_do_not_verify():
    def refusing(seed, inputs):
        raise DomainError("no_participants", "There is nobody in the draw.")

    assert not verify(honest_certificate(), INPUTS, refusing)


def test_the_canonical_text_is_fixed():
    # This exact text is the contract with anyone re-checking a hash on another machine: never change it.
    value = {"b": {"é": None, "a": True}, "a": (1, "x", [])}
    assert canonical_json(value) == '{"a":[1,"x",[]],"b":{"a":true,"\\u00e9":null}}'
    assert digest(value) == hashlib.sha256(canonical_json(value).encode()).hexdigest()


def test_number_keys_are_recorded_as_text():
    assert canonical_json({7: "a", 10: "b"}) == '{"10":"b","7":"a"}'


@settings(max_examples=60)
@given(st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5) | st.none(), max_size=8))
def test_the_hash_does_not_depend_on_key_order(mapping):
    assert digest(mapping) == digest(dict(reversed(list(mapping.items()))))


@pytest.mark.parametrize(
    ("inputs", "code"),
    [
        ({"weight": 1.5}, "float_not_allowed"),
        ({"needs": [[1, {"points": 0.5}]]}, "float_not_allowed"),
        ({"members": {1, 2}}, "unsupported_value"),
        ({True: 1}, "unsupported_value"),
        ({7: "a", "7": "b"}, "unsupported_value"),
    ],
)
def test_it_refuses_inputs_without_one_canonical_text(inputs, code):
    with pytest.raises(DomainError) as error:
        certify("reverse", 1, inputs, {}, {})
    assert error.value.code == code


def test_it_refuses_a_float_in_the_result_too():
    with pytest.raises(DomainError) as error:
        certify("reverse", 1, INPUTS, {"ratio": 1.05}, {})
    assert error.value.code == "float_not_allowed"


def test_it_refuses_structures_nested_without_end():
    looped: list = []
    looped.append(looped)
    with pytest.raises(DomainError) as error:
        digest(looped)
    assert error.value.code == "unsupported_value"


@pytest.mark.parametrize("seed", [-1, 2**63, True, "7"])
def test_it_refuses_a_seed_that_cannot_be_stored(seed):
    with pytest.raises(DomainError) as error:
        certify("reverse", seed, INPUTS, {}, {})
    assert error.value.code == "invalid_seed"


@pytest.mark.parametrize("properties", [{"ef1": 1}, {"ef1": "yes"}, {3: True}])
def test_it_refuses_properties_that_are_not_yes_or_no(properties):
    with pytest.raises(DomainError) as error:
        certify("reverse", 1, INPUTS, {}, properties)
    assert error.value.code == "invalid_property"


def test_it_refuses_a_nameless_method():
    with pytest.raises(DomainError) as error:
        certify(" ", 1, INPUTS, {}, {})
    assert error.value.code == "invalid_method"


def test_a_certificate_that_records_a_failed_check_does_not_hold():
    certificate = certify("reverse", 1, INPUTS, {}, {"ef1": True, "envy_free": False})
    assert not certificate.holds
    assert list(certificate.properties) == ["ef1", "envy_free"]


def test_a_stored_certificate_reads_back_the_same():
    certificate = honest_certificate()
    stored = certificate.as_dict()
    assert canonical_json(stored)  # JSON-safe as it is
    assert Certificate(**stored) == certificate
    assert hash(certificate) == hash(Certificate(**stored))
