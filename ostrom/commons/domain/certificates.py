"""Certificates: the record every allocation run leaves so that anyone can re-run it and get the same result.

A certificate names the method, the random seed, a SHA-256 hash of the inputs and of the result (each over a
canonical JSON text) and which fairness properties were checked and hold. The inputs and result themselves are
published beside it; `verify` re-runs the method on the published inputs and compares the hashes.

Canonical JSON: keys sorted, no spaces, ASCII only, and no floats at all, because two machines may print the
same float differently and a float compared for equality is a trap; counts, points and minutes are integers."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from ostrom.communities.domain import DomainError

# Identifiers a certificate can record (members, sites, slots): JSON has exactly these two kinds of key.
Id = int | str

# Fits a signed 64-bit database column, so later sessions can store the seed as it is.
MAX_SEED = 2**63 - 1
MAX_METHOD_CHARS = 60
# Exactly these types are JSON scalars as they are (subclasses such as IntEnum take the careful path).
_SCALARS = frozenset({int, str, bool, type(None)})
# A bound on nesting, so a self-referencing structure fails cleanly instead of recursing for ever.
MAX_DEPTH = 32

Rerun = Callable[[int, Mapping[str, object]], Mapping[str, object]]


@dataclass(frozen=True)
class Certificate:
    """What a run promises: re-running `method` with `seed` on inputs hashing to `inputs_hash` gives a result
    hashing to `result_hash`; `properties` says which fairness checks were made and whether each holds."""

    method: str
    seed: int
    inputs_hash: str
    # hash=False: a dict cannot be hashed, and the two hashes already identify the run.
    properties: dict[str, bool] = field(hash=False)
    result_hash: str

    @property
    def holds(self) -> bool:
        """True when every checked property holds."""
        return all(self.properties.values())

    def as_dict(self) -> dict[str, object]:
        """A plain mapping to store or publish (JSON-safe)."""
        return {
            "method": self.method,
            "seed": self.seed,
            "inputs_hash": self.inputs_hash,
            "properties": dict(self.properties),
            "result_hash": self.result_hash,
        }


def canonical_json(value: object) -> str:
    """The one text a value hashes as: sorted keys, no spaces, ASCII; floats and unordered sets are refused."""
    return json.dumps(_plain(value, 0), sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def digest(value: object) -> str:
    """SHA-256 (hex) of the canonical JSON of `value`."""
    return hashlib.sha256(canonical_json(value).encode("ascii")).hexdigest()


def certify(
    method: str, seed: int, inputs: Mapping[str, object], result: Mapping[str, object], properties: Mapping[str, bool]
) -> Certificate:
    """Issue the certificate of one run: `properties` are the fairness checks made on `result` (name -> holds)."""
    if not isinstance(method, str) or not method.strip() or len(method) > MAX_METHOD_CHARS:
        raise DomainError("invalid_method", "The allocation method needs a short name.", field="method")
    _check_seed(seed)
    for name, holds in properties.items():
        if not isinstance(name, str) or not isinstance(holds, bool):
            raise DomainError(
                "invalid_property", "Each fairness property needs a name and a yes-or-no answer.", field="properties"
            )
    return Certificate(
        method=method,
        seed=seed,
        inputs_hash=digest(inputs),
        properties={name: properties[name] for name in sorted(properties)},
        result_hash=digest(result),
    )


def verify(certificate: Certificate, inputs: Mapping[str, object], rerun: Rerun) -> bool:
    """Re-run with the certificate's seed on `inputs` (`rerun(seed, inputs) -> result`) and say whether both the
    inputs and the fresh result hash as the certificate says. Inputs the method refuses do not verify."""
    try:
        if digest(inputs) != certificate.inputs_hash:
            return False
        return digest(rerun(certificate.seed, inputs)) == certificate.result_hash
    except DomainError:
        return False


def _check_seed(seed: object) -> None:
    # bool is an int to Python, but a seed of True is a mistake, not a choice.
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise DomainError("invalid_seed", "The random seed must be a whole number from 0 to 2^63 - 1.", field="seed")


def _plain(value: object, depth: int) -> object:
    """`value` as JSON-ready lists, dicts and scalars, refusing what has no single canonical text."""
    if depth > MAX_DEPTH:
        raise DomainError("unsupported_value", "The allocation data are nested too deeply to record.")
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        raise DomainError(
            "float_not_allowed",
            f"The allocation data contain a decimal number ({value!r}); record whole numbers (points, minutes, pence).",
        )
    if isinstance(value, Mapping):
        return _plain_mapping(value, depth)
    if isinstance(value, list | tuple):
        # A row of plain scalars (a member's thousand scores) needs no walk item by item: one type test each.
        if all(type(item) in _SCALARS for item in value):
            return list(value)
        return [_plain(item, depth + 1) for item in value]
    # Sets have no order, so they have no one text; anything else (dates, objects) must be turned into text first.
    raise DomainError(
        "unsupported_value", f"The allocation data contain a {type(value).__name__}, which a certificate cannot record."
    )


def _plain_mapping(value: Mapping[object, object], depth: int) -> dict[str, object]:
    plain: dict[str, object] = {}
    for key, item in value.items():
        # JSON keys are text: a member id 7 is recorded as "7", and a mapping holding both 7 and "7" is refused
        # because the two would read the same in the record.
        if isinstance(key, bool) or not isinstance(key, int | str):
            raise DomainError("unsupported_value", f"The allocation data use a {type(key).__name__} as a key.")
        text = str(key)
        if text in plain:
            raise DomainError(
                "unsupported_value", f"The allocation data use the key {text!r} twice (as text and number)."
            )
        plain[text] = _plain(item, depth + 1)
    return plain
