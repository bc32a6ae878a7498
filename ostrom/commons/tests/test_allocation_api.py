"""Request windows through the JSON API: Cora opens a lottery for two plots, Mina and Sam ask, Cora weights Mina's
need (never without a reason) and allocates once it closes; anyone reads the result, fetches the certificate and
checks it. Refusals answer {code, message, fields} and write nothing; another community's windows are 404s."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from ostrom.commons.actions import allocation as actions
from ostrom.commons.actions.allocation import SlotSpec, WindowFields
from ostrom.commons.models import AllocationRequest, RequestWindow, WindowStatus
from ostrom.communities.tests.test_api import assert_error, call

DAY = timedelta(days=1)


def window_body(**changes) -> dict:
    body = {
        "title": "Allotment plots", "method": "lottery", "closes_at": (timezone.now() + DAY).isoformat(),
        "slots": [{"label": "Plot 1"}, {"label": "Plot 2"}],
    }  # fmt: skip
    return body | changes


def test_a_lottery_from_opening_to_checking_the_certificate(client, coordinator, member, staff):
    created = call(client, "post", "/commons/windows", coordinator, window_body())
    assert created.status_code == 201, created.content
    window_id = created.json()["id"]
    assert [slot["label"] for slot in created.json()["slots"]] == ["Plot 1", "Plot 2"]

    mine = call(client, "post", f"/commons/windows/{window_id}/request", member, {}).json()
    call(client, "post", f"/commons/windows/{window_id}/request", staff, {})
    need = call(
        client, "post", f"/commons/windows/{window_id}/requests/{mine['id']}/need", coordinator,
        {"tiers": ["carer"], "reason": "Looks after her father"},
    )  # fmt: skip
    assert need.status_code == 200 and need.json()["need_points"] == 15
    assert call(client, "get", f"/commons/windows/{window_id}", member).json()["my_request"]["need_reason"] is None

    with time_machine.travel(timezone.now() + 2 * DAY, tick=False):
        done = call(client, "post", f"/commons/windows/{window_id}/allocate", coordinator)
        again = call(client, "post", f"/commons/windows/{window_id}/allocate", coordinator)

    assert done.status_code == 200, done.content
    result = done.json()["result"]
    assert {row["member"] for row in result["allocated"]} == {member.pk, staff.pk}
    assert result["certificate"]["seed"] == RequestWindow.objects.get().seed
    assert_error(again, 409, "already_allocated")
    certificate = call(client, "get", f"/commons/windows/{window_id}/certificate", staff).json()
    assert certificate["inputs"]["slots"] == 2
    assert call(client, "get", f"/commons/windows/{window_id}/verify", staff).json()["holds"] is True


def test_a_need_without_a_reason_is_refused(client, coordinator, member):
    window = actions.open_window(
        coordinator, WindowFields("Plots", timezone.now() + DAY, "lottery", [SlotSpec("Plot 1")])
    )
    request = actions.request_slots(member, window)
    path = f"/commons/windows/{window.pk}/requests/{request.pk}/need"
    assert_error(call(client, "post", path, coordinator, {"points": 40, "reason": "  "}), 422)
    assert_error(call(client, "post", path, coordinator, {"points": 40}), 422)
    assert_error(call(client, "post", path, member, {"points": 40, "reason": "Me"}), 403, "not_coordinator")
    request.refresh_from_db()
    assert request.need_points == 10


def test_allocating_with_nobody_asking_is_a_conflict_that_writes_nothing(client, coordinator):
    window = actions.open_window(
        coordinator, WindowFields("Plots", timezone.now() + DAY, "lottery", [SlotSpec("Plot 1")])
    )
    with time_machine.travel(timezone.now() + 2 * DAY, tick=False):
        assert_error(
            call(client, "post", f"/commons/windows/{window.pk}/allocate", coordinator), 409, "no_participants"
        )
    window.refresh_from_db()
    assert window.status == WindowStatus.OPEN and window.seed is None


def test_a_closed_window_refuses_requests(client, coordinator, member):
    window = actions.open_window(
        coordinator, WindowFields("Plots", timezone.now() + DAY, "lottery", [SlotSpec("Plot 1")])
    )
    with time_machine.travel(timezone.now() + 2 * DAY, tick=False):
        assert_error(call(client, "post", f"/commons/windows/{window.pk}/request", member, {}), 409, "window_closed")
    assert not AllocationRequest.objects.exists()


def test_fair_assignment_takes_a_ranking_or_scores(client, coordinator, member):
    created = call(client, "post", "/commons/windows", coordinator, window_body(method="fair_assignment")).json()
    first, second = (slot["id"] for slot in created["slots"])
    path = f"/commons/windows/{created['id']}/request"

    ranked = call(client, "post", path, member, {"ranking": [second, first], "slots_wanted": 2}).json()
    assert ranked["scores"] == [{"slot": first, "score": 99}, {"slot": second, "score": 100}]
    scored = call(client, "post", path, member, {"scores": [{"slot": first, "score": 40}]}).json()
    assert scored["scores"] == [{"slot": first, "score": 40}]
    assert_error(call(client, "post", path, member, {"ranking": [first, first]}), 422)
    both = {"ranking": [first], "scores": [{"slot": first, "score": 3}]}
    assert_error(call(client, "post", path, member, both), 409, "ranking_and_scores")
    assert_error(call(client, "post", path, member, {"ranking": [first + second + 1000]}), 404, "slot_unknown")
    assert_error(
        call(client, "post", path, member, {"ranking": [first], "slots_wanted": 3}), 409, "invalid_slots_wanted"
    )


@pytest.mark.parametrize(
    ("changes", "status", "code"),
    [
        ({"closes_at": "2020-01-01T10:00:00Z"}, 409, "date_in_past"),
        ({"slots": []}, 422, None),
        ({"slots": [{"label": "A"}, {"label": "a"}]}, 409, "duplicate_slot"),
        ({"slots": [{"label": "A", "starts_at": "2030-01-01T10:00:00Z"}]}, 409, "slot_times_incomplete"),
        ({"method": "rotation", "periods": 2, "turning_period": 2}, 409, "invalid_turning_period"),
        ({"method": "rotation", "follows": 1}, 404, "window_unknown"),
        ({"asset": "no-such-asset"}, 404, "asset_unknown"),
    ],
)
def test_bad_windows_are_refused(client, coordinator, changes, status, code):
    assert_error(call(client, "post", "/commons/windows", coordinator, window_body(**changes)), status, code)
    assert not RequestWindow.objects.exists()


def test_members_cannot_open_windows_and_outsiders_cannot_see_them(client, coordinator, member, outsider):
    assert_error(call(client, "post", "/commons/windows", member, window_body()), 403, "not_coordinator")
    window = actions.open_window(
        coordinator, WindowFields("Plots", timezone.now() + DAY, "lottery", [SlotSpec("Plot 1")])
    )
    assert_error(call(client, "get", f"/commons/windows/{window.pk}", outsider), 404)
    assert call(client, "get", "/commons/windows", outsider).json()["count"] == 0
    assert call(client, "get", "/commons/windows", member).json()["count"] == 1
