"""The message base and the messages both peers send (spec §2.2, §3.3, §5.3, §7.3)."""

from __future__ import annotations

import dataclasses

import pytest

from ixion.ntp.errors import LocalProtocolError
from ixion.ntp.messages import ConnectionClosed, Message, Preferences, Rules, Unrecognized, message


def test_messages_are_frozen() -> None:
    msg = Rules(rules=("reject 127.0.0.1",))
    with pytest.raises(dataclasses.FrozenInstanceError):
        msg.rules = ()  # type: ignore[misc]


def test_message_fields_are_keyword_only() -> None:
    with pytest.raises(TypeError):
        Unrecognized("CLIENT <|> NO_SUCH_COMMAND <|> CLIENT")  # type: ignore[call-arg]


def test_messages_are_slotted() -> None:
    msg = Unrecognized(line="x")
    assert not hasattr(msg, "__dict__")


def test_the_message_decorator_makes_a_frozen_keyword_only_dataclass() -> None:
    @message
    class Probe(Message):
        value: int = 0

    probe = Probe(value=3)
    assert probe == Probe(value=3)
    assert dataclasses.is_dataclass(probe)
    with pytest.raises(dataclasses.FrozenInstanceError):
        probe.value = 4  # type: ignore[misc]


def test_connection_closed_is_a_plain_value() -> None:
    assert ConnectionClosed() == ConnectionClosed()
    assert ConnectionClosed.TYPE == "CONNECTION_CLOSED"


def test_unrecognized_keeps_the_line_and_a_reason_that_is_not_compared() -> None:
    first = Unrecognized(line="CLIENT <|> NO_SUCH_COMMAND <|> CLIENT", reason="unknown command")
    second = Unrecognized(line="CLIENT <|> NO_SUCH_COMMAND <|> CLIENT")
    assert first == second
    assert first.reason == "unknown command"
    assert second.reason == ""
    assert Unrecognized.TYPE == "UNRECOGNIZED"


def test_unrecognized_is_one_line() -> None:
    with pytest.raises(LocalProtocolError) as caught:
        Unrecognized(line="two\nlines")
    assert caught.value.message == "line contains a newline: 'two\\nlines'"


def test_preferences_keep_order_and_duplicates() -> None:
    items = (
        ("Peers slow check[entry]:Seconds to sleep :", "8"),
        ("Peers slow check[entry]:Seconds to sleep :", "8"),
        ("max_hosts", "30"),
    )
    assert Preferences(items=items).items == items
    assert Preferences().items == ()
    assert Preferences.TYPE == "PREFERENCES"


def test_a_preference_value_may_be_empty_or_contain_separators() -> None:
    prefs = Preferences(items=(("Services[file]:SSL certificate :", ""), ("odd", "a <|> b")))
    assert prefs.items[1] == ("odd", "a <|> b")


def test_a_preference_name_cannot_hold_a_separator() -> None:
    with pytest.raises(LocalProtocolError) as caught:
        Preferences(items=(("a <|> b", "1"),))
    assert caught.value.message == "preference name contains the field separator: 'a <|> b'"


def test_a_preference_value_cannot_hold_a_newline() -> None:
    with pytest.raises(LocalProtocolError) as caught:
        Preferences(items=(("max_hosts", "3\n0"),))
    assert caught.value.message == "preference value of 'max_hosts' contains a line end"


def test_a_preference_value_cannot_end_in_a_carriage_return() -> None:
    # It would be read back without it, as a CRLF peer's line end (spec §10.16).
    with pytest.raises(LocalProtocolError) as caught:
        Preferences(items=(("max_hosts", "30\r"),))
    assert caught.value.message == "preference value of 'max_hosts' contains a line end"
    assert Preferences(items=(("a", "x\ry"),)).items == (("a", "x\ry"),)


def test_rules_are_one_rule_a_line() -> None:
    assert Rules(rules=("reject 127.0.0.1", "default reject")).rules == (
        "reject 127.0.0.1",
        "default reject",
    )
    assert Rules().rules == ()
    assert Rules.TYPE == "RULES"


def test_a_rule_cannot_hold_a_separator() -> None:
    with pytest.raises(LocalProtocolError) as caught:
        Rules(rules=("<|> CLIENT",))
    assert caught.value.message == "rule contains the field separator: '<|> CLIENT'"
