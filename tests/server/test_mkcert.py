"""ixion-mkcert: the CA, the server and client certificates, their files, the conf lines, and a
real handshake with what it made (spec §1.2, §1.5)."""

from __future__ import annotations

import datetime
import os
import re
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID

from ixion.server.certificates import CA_DAYS, DAYS, KeyType
from ixion.server.config import read_config
from ixion.server.mkcert import main
from ixion.server.tls import server_context
from ixion.server.tlsfiles import MkcertError, Plan, make_certificates, set_tls_lines
from tests.server.test_tls import Exchange, client_context, exchange, settings_for

NOW = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.UTC)


def mkcert(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def printed_dns(output: str) -> dict[str, str]:
    return dict(re.findall(r"^client (\S+) DN: (.*)$", output, re.MULTILINE))


def load(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def test_the_printed_client_dn_is_what_the_server_sees_in_a_handshake(tmp_path: Path) -> None:
    output = mkcert("--dir", str(tmp_path / "tls"), "--host", "scanner", "--client", "alice")
    assert printed_dns(output) == {"alice": "/O=ixion/OU=clients/CN=alice"}
    server = server_context(settings_for(tmp_path))
    assert server is not None
    tls = tmp_path / "tls"
    alice = client_context(
        tls / "cacert.pem", tls / "clients/alice-cert.pem", tls / "clients/alice-key.pem"
    )
    assert exchange(server, alice) == Exchange((printed_dns(output)["alice"],), b"hello\n")


def test_rsa_keys_make_a_working_server_and_client_too(tmp_path: Path) -> None:
    plan = Plan(directory=tmp_path / "tls", host="scanner", clients=("bob",), key_type=KeyType.RSA)
    issued = make_certificates(plan)
    key = load(issued.cert_file).public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    assert key.key_size == 3072
    server = server_context(settings_for(tmp_path))
    assert server is not None
    bob = issued.clients[0]
    client = client_context(issued.ca_file, bob.cert_file, bob.key_file)
    assert exchange(server, client) == Exchange((bob.dn,), b"hello\n")


def test_the_server_certificate_names_the_host_localhost_and_127_0_0_1(tmp_path: Path) -> None:
    issued = make_certificates(Plan(directory=tmp_path, host="scanner.lab"), now=NOW)
    certificate = load(issued.cert_file)
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert [str(name.value) for name in names] == ["scanner.lab", "localhost", "127.0.0.1"]
    assert isinstance(certificate.public_key(), ec.EllipticCurvePublicKey)
    usage = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usage) == [ExtendedKeyUsageOID.SERVER_AUTH]
    assert not certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca


def test_the_default_host_is_this_machines_name(tmp_path: Path) -> None:
    output = mkcert("--dir", str(tmp_path))
    names = load(tmp_path / "servercert.pem").extensions
    alternative = names.get_extension_for_class(x509.SubjectAlternativeName).value
    assert str(alternative[0].value) == os.uname().nodename
    assert f"for {os.uname().nodename}, localhost, 127.0.0.1" in output


def test_lifetimes_are_four_years_for_the_ca_and_one_for_the_rest(tmp_path: Path) -> None:
    issued = make_certificates(Plan(directory=tmp_path, host="h", clients=("c",)), now=NOW)
    ca, server = load(issued.ca_file), load(issued.cert_file)
    client = load(issued.clients[0].cert_file)
    assert ca.not_valid_after_utc == NOW + datetime.timedelta(days=CA_DAYS)
    assert server.not_valid_after_utc == client.not_valid_after_utc
    assert server.not_valid_after_utc == NOW + datetime.timedelta(days=DAYS)
    assert server.not_valid_before_utc < NOW
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca


def test_lifetime_options_change_them(tmp_path: Path) -> None:
    mkcert("--dir", str(tmp_path), "--host", "h", "--ca-days", "30", "--days", "7")
    ca, server = load(tmp_path / "cacert.pem"), load(tmp_path / "servercert.pem")
    assert ca.not_valid_after_utc - ca.not_valid_before_utc == datetime.timedelta(
        days=30, minutes=5
    )
    assert server.not_valid_after_utc - server.not_valid_before_utc == datetime.timedelta(
        days=7, minutes=5
    )


def test_keys_are_private_and_certificates_readable_by_all(tmp_path: Path) -> None:
    mkcert("--dir", str(tmp_path), "--host", "h", "--client", "alice")
    modes = {
        path.relative_to(tmp_path).as_posix(): stat.S_IMODE(path.stat().st_mode)
        for path in tmp_path.rglob("*.pem")
    }
    assert modes == {
        "cacert.pem": 0o644,
        "cakey.pem": 0o600,
        "servercert.pem": 0o644,
        "serverkey.pem": 0o600,
        "clients/alice-cert.pem": 0o644,
        "clients/alice-key.pem": 0o600,
    }


def test_a_later_run_reuses_the_ca_so_earlier_certificates_stay_valid(tmp_path: Path) -> None:
    first = make_certificates(Plan(directory=tmp_path, host="h", clients=("alice",)))
    ca, server = first.ca_file.read_bytes(), first.cert_file.read_bytes()
    second = make_certificates(Plan(directory=tmp_path, host="h", clients=("bob",)))
    assert (second.ca_created, second.server_created) == (False, False)
    assert (first.ca_file.read_bytes(), first.cert_file.read_bytes()) == (ca, server)
    bob = load(second.clients[0].cert_file)
    bob.verify_directly_issued_by(load(first.ca_file))


def test_force_remakes_the_server_certificate_with_the_same_ca(tmp_path: Path) -> None:
    first = make_certificates(Plan(directory=tmp_path, host="old"))
    ca = first.ca_file.read_bytes()
    second = make_certificates(Plan(directory=tmp_path, host="new", force=True))
    assert (second.ca_created, second.server_created) == (False, True)
    assert first.ca_file.read_bytes() == ca
    assert load(second.cert_file).subject.rfc4514_string() == "CN=new,OU=ixiond,O=ixion"


def test_new_ca_replaces_the_ca_and_the_server_certificate(tmp_path: Path) -> None:
    first = make_certificates(Plan(directory=tmp_path, host="h"))
    old_ca = load(first.ca_file)
    second = make_certificates(Plan(directory=tmp_path, host="h", new_ca=True))
    assert (second.ca_created, second.server_created) == (True, True)
    assert load(second.ca_file) != old_ca
    load(second.cert_file).verify_directly_issued_by(load(second.ca_file))


def test_an_existing_client_is_kept_unless_forced(tmp_path: Path) -> None:
    make_certificates(Plan(directory=tmp_path, host="h", clients=("alice",)))
    before = (tmp_path / "clients/alice-cert.pem").read_bytes()
    with pytest.raises(MkcertError, match=r"alice-cert.pem exists; --force replaces it"):
        make_certificates(Plan(directory=tmp_path, host="h", clients=("bob", "alice")))
    assert (tmp_path / "clients/alice-cert.pem").read_bytes() == before
    assert not (tmp_path / "clients/bob-cert.pem").exists()
    make_certificates(Plan(directory=tmp_path, host="h", clients=("alice",), force=True))
    assert (tmp_path / "clients/alice-cert.pem").read_bytes() != before


def test_a_ca_without_its_key_is_refused(tmp_path: Path) -> None:
    make_certificates(Plan(directory=tmp_path, host="h"))
    (tmp_path / "cakey.pem").unlink()
    with pytest.raises(MkcertError, match=r"cakey.pem is missing; --new-ca"):
        make_certificates(Plan(directory=tmp_path, host="h", clients=("alice",)))


@pytest.mark.parametrize("name", ["", "../x", "a/b", "-x", "a b", "x" * 65, "é"])
def test_a_client_name_that_is_no_safe_file_name_is_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(MkcertError, match="bad client name"):
        make_certificates(Plan(directory=tmp_path, host="h", clients=(name,)))
    assert not tmp_path.exists() or not any(tmp_path.iterdir())


def test_the_command_reports_errors_without_a_traceback(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["--dir", str(tmp_path), "--client", "a/b"])
    assert result.exit_code == 1
    assert "Error: bad client name 'a/b'" in result.output


NESSUSD_CONF_TAIL = """\
# a comment the admin wrote
max_hosts = 30
cert_file = /usr/local/com/nessus/CA/servercert.pem
 key_file=/usr/local/var/nessus/CA/serverkey.pem
# ca_file = commented out
cert_file = /dead/duplicate.pem
force_pubkey_auth = no
"""


def test_set_tls_lines_replaces_in_place_drops_duplicates_and_appends_the_rest() -> None:
    values = {"cert_file": "/s/c.pem", "key_file": "/s/k.pem", "ca_file": "/s/ca.pem"}
    assert set_tls_lines(NESSUSD_CONF_TAIL, values) == (
        "# a comment the admin wrote\n"
        "max_hosts = 30\n"
        "cert_file = /s/c.pem\n"
        "key_file = /s/k.pem\n"
        "# ca_file = commented out\n"
        "force_pubkey_auth = no\n"
        "# Set by ixion-mkcert\n"
        "ca_file = /s/ca.pem\n"
    )


def test_set_tls_lines_on_a_file_without_final_newline_or_keys() -> None:
    values = {"ca_file": "/ca.pem"}
    assert set_tls_lines("a = 1", values) == "a = 1\n# Set by ixion-mkcert\nca_file = /ca.pem\n"


def test_dash_c_puts_files_under_its_state_dir_and_points_the_conf_at_them(
    tmp_path: Path,
) -> None:
    conf = tmp_path / "ixiond.conf"
    state = tmp_path / "state"
    conf.write_text(f"state_dir = {state}\n{NESSUSD_CONF_TAIL}")
    conf.chmod(0o640)
    output = mkcert("-c", str(conf), "--host", "h")
    tls = state / "tls"
    assert (tls / "servercert.pem").is_file()
    table = read_config(conf)
    assert table.get("cert_file") == str(tls / "servercert.pem")
    assert table.get("key_file") == str(tls / "serverkey.pem")
    assert table.get("ca_file") == str(tls / "cacert.pem")
    assert [entry.name for entry in table] == [
        "state_dir",
        "max_hosts",
        "cert_file",
        "key_file",
        "force_pubkey_auth",
        "ca_file",
    ]
    assert stat.S_IMODE(conf.stat().st_mode) == 0o640
    assert f"{conf}: cert_file, key_file and ca_file set" in output
    assert server_context(settings_for(state, conf.read_text())) is not None


def test_dash_c_creates_a_missing_conf_with_the_defaults_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))
    monkeypatch.setattr(os, "getuid", lambda: 1000)
    conf = tmp_path / "etc" / "ixiond.conf"
    mkcert("-c", str(conf), "--host", "h")
    table = read_config(conf)
    tls = tmp_path / "xdg-state" / "ixion" / "tls"
    assert table.get("ca_file") == str(tls / "cacert.pem")
    assert "max_hosts" in table
    assert (tls / "cacert.pem").is_file()


def test_without_dash_c_the_conf_lines_are_printed(tmp_path: Path) -> None:
    output = mkcert("--dir", str(tmp_path), "--host", "h")
    assert f"  cert_file = {tmp_path / 'servercert.pem'}\n" in output
    assert f"  ca_file = {tmp_path / 'cacert.pem'}\n" in output
