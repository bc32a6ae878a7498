"""Distances between rough locations (three decimal places, about 100 m), as plain functions.

Geometry is the one place floats are right: a distance is never added up like money, and we keep only whole
metres. Search and matching use the same formula in SQL (market/search.py) and here, so a listing's shown
distance and its place in a "nearest first" list agree."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

# The mean Earth radius haversine distances are usually given with.
EARTH_RADIUS_METRES = 6_371_008
# One degree of latitude, on that sphere.
METRES_PER_DEGREE = 2 * math.pi * EARTH_RADIUS_METRES / 360
# The step of a stored location; a bounding box is widened to whole steps so it never cuts a point off.
LOCATION_STEP = Decimal("0.001")
# Near the poles a degree of longitude shrinks to nothing; below this cosine the box spans every longitude.
MIN_COSINE = 1e-6
# The furthest "within" a search accepts: a community is a town, not a continent.
MAX_RADIUS_METRES = 200_000


@dataclass(frozen=True)
class Box:
    """A latitude/longitude rectangle, widened outwards to whole steps; it contains every point within the radius
    it was made for (and some more in its corners, which the exact distance then leaves out)."""

    min_latitude: Decimal
    max_latitude: Decimal
    min_longitude: Decimal
    max_longitude: Decimal


def haversine_metres(lat1: Decimal | float, lon1: Decimal | float, lat2: Decimal | float, lon2: Decimal | float) -> int:
    """The great-circle distance between two points, in whole metres."""
    phi1, phi2 = math.radians(float(lat1)), math.radians(float(lat2))
    d_phi = phi2 - phi1
    d_lambda = math.radians(float(lon2) - float(lon1))
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return round(2 * EARTH_RADIUS_METRES * math.asin(min(1.0, math.sqrt(a))))


def bounding_box(latitude: Decimal, longitude: Decimal, radius_metres: int) -> Box:
    """The box around a point that holds every point within ``radius_metres`` of it."""
    lat_span = radius_metres / METRES_PER_DEGREE
    cosine = math.cos(math.radians(float(latitude)))
    lon_span = 360.0 if cosine < MIN_COSINE else radius_metres / (METRES_PER_DEGREE * cosine)
    lat, lon = float(latitude), float(longitude)
    return Box(
        min_latitude=_step(max(lat - lat_span, -90.0), ROUND_FLOOR),
        max_latitude=_step(min(lat + lat_span, 90.0), ROUND_CEILING),
        min_longitude=_step(max(lon - lon_span, -180.0), ROUND_FLOOR),
        max_longitude=_step(min(lon + lon_span, 180.0), ROUND_CEILING),
    )


def describe_distance(metres: int) -> str:
    """A rough distance as people say it: locations are only good to about 100 m, so no finer than that."""
    if metres < 150:
        return "Very close by"
    if metres < 10_000:
        return f"{Decimal(metres) / 1000:.1f} km away"
    return f"{round(metres / 1000)} km away"


def _step(value: float, rounding: str) -> Decimal:
    return Decimal(repr(value)).quantize(LOCATION_STEP, rounding=rounding)
