"""``ixion-adduser`` and ``ixion-rmuser``, run in process with click's runner; the installed
scripts themselves are run by the daemon's tests."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ixion.server import admin
from ixion.server.admin import adduser, rmuser
from ixion.server.config import Locations
from ixion.server.users import UserStore

DN = "/C=FR/L=Paris/O=Lab/CN=alice"


class TerminalInput(io.RawIOBase):
    """Typed input where an empty chunk is a ctrl-D: it ends one read, not the input."""

    def __init__(self, *chunks: bytes) -> None:
        self._chunks = list(chunks)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if not buffer or not self._chunks:
            return 0
        chunk = self._chunks.pop(0)
        size = min(len(buffer), len(chunk))
        buffer[:size] = chunk[:size]
        if size < len(chunk):
            self._chunks.insert(0, chunk[size:])
        return size


def typed(*chunks: bytes) -> io.BufferedReader:
    return io.BufferedReader(TerminalInput(*chunks))


@pytest.fixture
def config(tmp_path: Path) -> Path:
    config = tmp_path / "ixiond.conf"
    config.write_text(f"state_dir = {tmp_path / 'state'}\nssl_version = NONE\n")
    return config


@pytest.fixture
def store(tmp_path: Path) -> UserStore:
    return UserStore(tmp_path / "state" / "users")


def add(config: Path, *args: str, stdin: str | io.BufferedReader = "") -> Result:
    return CliRunner().invoke(adduser, ["-c", str(config), *args], input=stdin)


# --- asking questions --------------------------------------------------------------------------


def test_adduser_asks_for_a_password_twice_then_rules_until_eof_and_adds_the_user(
    config: Path, store: UserStore
) -> None:
    result = add(config, "alice", stdin="pass\nsecret\nsecret\naccept 127.0.0.1\ndefault reject\n")
    assert result.exit_code == 0, result.output
    for question in ("Authentication (pass/cert)", "Login password", "(again)", "ctrl-D"):
        assert question in result.output
    assert "Is that ok ? (y/n) [y]" in result.output
    assert result.stdout.endswith("user alice added.\n")
    user = store.authenticate("alice", "secret")
    assert user is not None
    assert [str(rule) for rule in user.rules.rules] == ["accept 127.0.0.1/32"]
    assert store.authenticate("alice", "wrong") is None


def test_adduser_takes_password_authentication_by_default_and_allows_no_rules(
    config: Path, store: UserStore
) -> None:
    result = add(config, "alice", stdin="\nsecret\nsecret\n")
    assert result.exit_code == 0, result.output
    assert "(none)" in result.output
    assert store.authenticate("alice", "secret") is not None


def test_adduser_asks_again_when_the_passwords_differ(config: Path, store: UserStore) -> None:
    result = add(config, "alice", stdin="pass\nsecret\nsecreT\nsecret\nsecret\n")
    assert result.exit_code == 0, result.output
    assert "do not match" in result.output
    assert store.authenticate("alice", "secret") is not None


def test_adduser_builds_a_certificate_dn_from_the_non_empty_parts(
    config: Path, store: UserStore
) -> None:
    result = add(config, "alice", stdin="cert\nFR\n\nParis\nLab\n\nalice\n\n")
    assert result.exit_code == 0, result.output
    assert (store.directory / "alice" / "auth" / "dname").read_text() == f"{DN}\n"
    assert store.authenticate("alice", "any", client_dn=DN) is not None
    assert not (store.directory / "alice" / "auth" / "hash").exists()


def test_answering_no_after_the_rules_adds_nobody(config: Path, store: UserStore) -> None:
    keys = typed(b"pass\nsecret\nsecret\naccept 127.0.0.1\n", b"", b"n\n")
    result = add(config, "alice", stdin=keys)
    assert result.exit_code == 1
    assert "user 'alice' not added" in result.stderr
    assert store.list_users() == ()


def test_answering_yes_after_a_ctrl_d_adds_the_user(config: Path, store: UserStore) -> None:
    keys = typed(b"pass\nsecret\nsecret\n", b"", b"y\n")
    result = add(config, "alice", stdin=keys)
    assert result.exit_code == 0, result.output
    assert store.list_users() == ("alice",)


def test_bad_typed_rules_are_refused_before_the_confirmation(
    config: Path, store: UserStore
) -> None:
    result = add(config, "alice", stdin="pass\nsecret\nsecret\naccept n:*\n")
    assert result.exit_code == 1
    assert "accept n:*" in result.stderr
    assert "Is that ok" not in result.output
    assert store.list_users() == ()


def test_an_existing_login_is_refused_before_any_question(config: Path, store: UserStore) -> None:
    assert add(config, "alice", "--password-stdin", stdin="secret\n").exit_code == 0
    result = add(config, "alice", stdin="pass\nother\nother\n")
    assert result.exit_code == 1
    assert "user 'alice' already exists" in result.stderr
    assert "Authentication" not in result.output
    assert store.authenticate("alice", "secret") is not None


# --- options instead of questions --------------------------------------------------------------


def test_password_stdin_with_rules_from_a_file_and_options_asks_nothing(
    tmp_path: Path, config: Path, store: UserStore
) -> None:
    rules = tmp_path / "rules"
    rules.write_text("reject 198.18.0.0/15")
    result = add(
        config,
        "--password-stdin",
        "--rules-file",
        str(rules),
        "--rule",
        "accept 127.0.0.1",
        "--rule",
        "default reject",
        "bob",
        stdin="s3cret pass\n",
    )
    assert result.exit_code == 0, result.output
    assert result.output == "user bob added.\n"
    assert store.authenticate("bob", "s3cret pass") is not None
    auth = store.directory / "bob" / "auth"
    assert (auth / "rules").read_text() == (
        "reject 198.18.0.0/15\naccept 127.0.0.1\ndefault reject\n"
    )


def test_a_dn_option_alone_makes_a_certificate_user(config: Path, store: UserStore) -> None:
    result = add(config, "--dn", DN, "--dn", "/CN=alice-laptop", "alice")
    assert result.exit_code == 0, result.output
    assert store.authenticate("alice", "x", client_dn="/CN=alice-laptop") is not None


def test_rules_without_a_password_or_dn_are_refused(config: Path, store: UserStore) -> None:
    result = add(config, "--rule", "accept 127.0.0.1", "bob")
    assert result.exit_code == 1
    assert "--password-stdin or --dn" in result.stderr
    assert store.list_users() == ()


@pytest.mark.parametrize("stdin", ["", "\n", "\r\n"])
def test_an_empty_password_on_stdin_is_refused(config: Path, store: UserStore, stdin: str) -> None:
    result = add(config, "--password-stdin", "bob", stdin=stdin)
    assert result.exit_code == 1
    assert "no password on standard input" in result.stderr
    assert store.list_users() == ()


@pytest.mark.parametrize("name", ["../evil", ".hidden", "a" * 40])
def test_a_bad_name_is_refused(config: Path, store: UserStore, name: str) -> None:
    result = add(config, "--password-stdin", name, stdin="secret\n")
    assert result.exit_code == 1
    assert "bad user name" in result.stderr
    assert store.list_users() == ()


def test_a_bad_rule_option_is_refused_naming_the_line(config: Path, store: UserStore) -> None:
    result = add(config, "--password-stdin", "--rule", "accept example.com", "bob", stdin="pw\n")
    assert result.exit_code == 1
    assert "accept example.com" in result.stderr
    assert store.list_users() == ()


def test_the_users_key_of_the_config_says_where_users_go(tmp_path: Path, config: Path) -> None:
    config.write_text(config.read_text() + f"users = {tmp_path / 'elsewhere'}\n")
    assert add(config, "--password-stdin", "bob", stdin="pw\n").exit_code == 0
    assert UserStore(tmp_path / "elsewhere").list_users() == ("bob",)


def test_a_missing_config_means_the_defaults_and_is_not_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    locations = Locations(config_file=tmp_path / "ixiond.conf", state_dir=tmp_path / "default")
    monkeypatch.setattr(admin, "default_locations", lambda: locations)
    result = CliRunner().invoke(adduser, ["--password-stdin", "bob"], input="pw\n")
    assert result.exit_code == 0, result.output
    assert UserStore(tmp_path / "default" / "users").list_users() == ("bob",)
    assert not (tmp_path / "ixiond.conf").exists()


def test_a_bad_config_is_reported_with_its_line(config: Path) -> None:
    config.write_text(config.read_text() + "max_hosts = lots\n")
    result = add(config, "--password-stdin", "bob", stdin="pw\n")
    assert result.exit_code == 1
    assert f"{config}:3: max_hosts = lots" in result.stderr


# --- ixion-rmuser ------------------------------------------------------------------------------


def test_rmuser_removes_the_user_and_their_directory(config: Path, store: UserStore) -> None:
    assert add(config, "--password-stdin", "bob", stdin="pw\n").exit_code == 0
    result = CliRunner().invoke(rmuser, ["-c", str(config), "bob"])
    assert result.exit_code == 0, result.output
    assert result.output == "user bob removed.\n"
    assert not (store.directory / "bob").exists()
    assert store.authenticate("bob", "pw") is None


def test_rmuser_of_an_unknown_user_exits_1(config: Path) -> None:
    result = CliRunner().invoke(rmuser, ["-c", str(config), "nobody"])
    assert result.exit_code == 1
    assert "no user 'nobody'" in result.stderr
