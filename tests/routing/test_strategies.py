"""The choice itself (routing.pick), for any team: never someone at capacity; least loaded
gives the most spare room, ties to who waited longest; round robin to whose turn it is."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from hypothesis import given
from hypothesis import strategies as st

from tickets.models import Team
from tickets.routing import Candidate, pick

T0 = datetime(2026, 11, 2, 9, tzinfo=UTC)

moments = st.one_of(st.none(), st.integers(0, 500).map(lambda m: T0 + timedelta(minutes=m)))
candidate_lists = st.lists(
    st.builds(
        lambda pk, load, capacity, turn, last: Candidate(
            agent=SimpleNamespace(pk=pk),
            load=load,
            capacity=capacity,
            team_turn_at=turn,
            last_assigned_at=last,
        ),
        st.integers(1, 10_000),
        st.integers(0, 15),
        st.integers(0, 12),
        moments,
        moments,
    ),
    max_size=8,
    unique_by=lambda c: c.agent.pk,
)


def _waited(moment):
    return (0, 0.0) if moment is None else (1, moment.timestamp())


@given(candidate_lists, st.sampled_from([Team.Strategy.LEAST_LOADED, Team.Strategy.ROUND_ROBIN]))
def test_nobody_at_capacity_is_chosen_and_somebody_is_when_anyone_has_room(found, strategy):
    chosen = pick(found, strategy=strategy)
    if any(c.load < c.capacity for c in found):
        assert chosen is not None and chosen.load < chosen.capacity
    else:
        assert chosen is None


@given(candidate_lists)
def test_least_loaded_gives_the_most_room_then_the_longest_wait(found):
    chosen = pick(found, strategy=Team.Strategy.LEAST_LOADED)
    if chosen is None:
        return
    most = max(c.spare for c in found)
    assert chosen.spare == most
    tied = [c for c in found if c.spare == most]
    assert _waited(chosen.last_assigned_at) == min(_waited(c.last_assigned_at) for c in tied)


@given(candidate_lists)
def test_round_robin_gives_it_to_whose_turn_it_is(found):
    chosen = pick(found, strategy=Team.Strategy.ROUND_ROBIN)
    if chosen is None:
        return
    room = [c for c in found if c.spare > 0]
    assert _waited(chosen.team_turn_at) == min(_waited(c.team_turn_at) for c in room)


def test_the_one_who_just_gave_a_ticket_back_is_skipped():
    a = Candidate(SimpleNamespace(pk=1), 0, 5, None, None)
    b = Candidate(SimpleNamespace(pk=2), 4, 5, None, None)
    assert pick([a, b], strategy=Team.Strategy.LEAST_LOADED, skip={1}) is b
