"""Ten saves of one booking at the same moment, from one store connection's cursors.

Each starts from the same version; DuckDB lets one write and refuses the others
("Conflict on update", or the history row's id taken). The others must hear
what every editor hears when someone saved first: EditConflict, naming the winner.
"""

import threading
from dataclasses import replace

import pytest

from bookings import editing, history
from bookings.auth import get_user
from bookings.model import Right, Role
from tests import known_store

EDITORS = 10


@pytest.fixture
def store(con, make_user):
    known_store.build(con)
    for n in range(EDITORS):
        make_user(Role.ADMINISTRATOR, f"editor{n}")
    return con


def all_at_once(con, action) -> list:
    """ACTION(cursor, editor, n) by each editor on its own cursor, released together;
    what each returned or raised."""
    editors = [get_user(con, f"editor{n}") for n in range(EDITORS)]
    cursors = [con.cursor() for _ in range(EDITORS)]
    start = threading.Barrier(EDITORS)
    outcomes: list = [None] * EDITORS

    def run(n: int) -> None:
        start.wait()
        try:
            outcomes[n] = action(cursors[n], editors[n], n)
        except Exception as refused:  # noqa: BLE001 - every outcome is asserted on
            outcomes[n] = refused

    threads = [threading.Thread(target=run, args=(n,)) for n in range(EDITORS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for cursor in cursors:
        cursor.close()
    return outcomes


def save_all_at_once(con, booking_id, change):
    """Each editor saves a change of the same version at the same moment."""
    draft, version = editing.current(con, booking_id)
    return all_at_once(con, lambda cursor, editor, n: editing.save(
        cursor, editor, booking_id, change(draft, n), started_from=draft, version=version))


@pytest.mark.parametrize("round_", range(3))
def test_one_save_wins_and_the_others_hear_who_changed_it(store, round_):
    outcomes = save_all_at_once(
        store, 2, lambda draft, n: editing.with_changes(draft, comment=f"editor{n} was here"))
    won = [n for n, o in enumerate(outcomes) if isinstance(o, editing.Saved)]
    assert len(won) == 1, outcomes
    winner = f"editor{won[0]}"
    lost = [o for o in outcomes if not isinstance(o, editing.Saved)]
    assert len(lost) == EDITORS - 1
    for refused in lost:
        assert isinstance(refused, editing.EditConflict), repr(refused)
        assert f"changed by {winner}" in str(refused)
        assert refused.by == [winner]
        assert refused.changed == {"comment": ["", f"{winner} was here"]}
    edits = [h for h in history.booking_info(store, 2)["history"] if h["action"] == "edited"]
    assert [(h["actor"], h["changes"]) for h in edits] == [
        (winner, {"comment": ["", f"{winner} was here"]})]
    assert store.execute("SELECT version, comment FROM bookings WHERE id = 2").fetchone() == (
        2, f"{winner} was here")


def test_a_conflict_masks_the_phone_for_whom_phones_are_hidden(store):
    draft, version = editing.current(store, 2)
    owner, admin = get_user(store, "owner"), get_user(store, "admin")
    editing.save(store, owner, 2, editing.with_changes(draft, client_phone="447700900555"),
                 started_from=draft, version=version)
    hidden = replace(admin, rights=admin.rights - {Right.SEE_PHONES})  # phones revoked
    with pytest.raises(editing.EditConflict, match="changed by owner") as conflict:
        editing.save(store, hidden, 2, editing.with_changes(draft, comment="mine"),
                     started_from=draft, version=version)
    assert "447700900" not in str(conflict.value)
    assert "447700900555" not in str(conflict.value.changed)


def test_creating_at_the_same_moment_makes_each_booking_once(store):
    def create(cursor, editor, n: int):
        return editing.create(cursor, editor, editing.Draft(
            visit_at=known_store.RECENT.replace(hour=8 + n % 10), staff_id=1, length_s=900,
            client_name=f"Walk In {n}", client_phone=f"4477009010{n:02}"))

    outcomes = all_at_once(store, create)
    assert [o for o in outcomes if not isinstance(o, editing.Saved)] == []
    ids = {o.booking["id"] for o in outcomes}
    assert len(ids) == EDITORS
    created = store.execute("SELECT count(*) FROM booking_history WHERE action = 'created'"
                            ).fetchone()[0]
    assert created == EDITORS
