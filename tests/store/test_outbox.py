"""Mail waiting for the relay: kept until delivered, retried later, given up in the end."""

from __future__ import annotations

from pathlib import Path

from ixion.store.database import Store
from ixion.store.outbox import MAX_ATTEMPTS, Outbox


def test_mail_waits_is_retried_later_and_is_given_up_after_the_last_attempt(
    tmp_path: Path,
) -> None:
    store = Store.open(tmp_path)
    outbox = Outbox(store)
    first = outbox.put("u", "a@lab.test", b"one")
    second = outbox.put("u", "b@lab.test", b"two")
    assert [m.id for m in outbox.due()] == [first, second]
    assert outbox.failed(first, "relay down", retry_in=3600)
    assert [m.id for m in outbox.due()] == [second]
    outbox.delivered(second)
    next_due = outbox.next_due()
    assert next_due is not None
    (retried,) = outbox.due(now=next_due)
    assert retried.attempts == 1
    for _ in range(MAX_ATTEMPTS - 2):
        assert outbox.failed(first, "relay down", retry_in=0)
    assert not outbox.failed(first, "relay down", retry_in=0)  # given up
    assert outbox.due(now=float("inf")) == []
    assert outbox.next_due() is None
    store.close()
