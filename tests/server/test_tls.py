"""ixiond's TLS context and the client's DN, down to real handshakes on loopback (spec §1.2,
§1.5)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime
import ssl
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import NameOID

from ixion.server.config import ConfigError, Locations, parse_config, resolve_settings
from ixion.server.options import Settings
from ixion.server.tls import (
    CIPHER_SHORTCUTS,
    canonical_dn,
    minimum_tls_version,
    peer_dn,
    server_context,
    x509_oneline,
)
from ixion.server.tlsfiles import Issued, Plan, make_certificates

ALICE_DN = "/O=ixion/OU=clients/CN=alice"


def settings_for(state_dir: Path, conf: str = "") -> Settings:
    """The daemon's settings for a conf text; TLS files default to ``<state_dir>/tls``."""
    locations = Locations(config_file=state_dir / "ixiond.conf", state_dir=state_dir)
    return resolve_settings(parse_config(conf), locations).settings


def client_context(
    ca_file: Path, cert_file: Path | None = None, key_file: Path | None = None
) -> ssl.SSLContext:
    """What a careful client uses: it checks the server against ``ca_file``."""
    context = ssl.create_default_context(cafile=ca_file)
    if cert_file is not None:
        context.load_cert_chain(cert_file, key_file)
    return context


@dataclass(frozen=True, slots=True)
class Exchange:
    #: peer_dn of each connection the server's handler saw (after a good handshake).
    server_saw: tuple[str | None, ...]
    #: What the client read, or None when it got nothing: its connection was refused.
    client_read: bytes | None


def exchange(server: ssl.SSLContext, client: ssl.SSLContext) -> Exchange:
    """One connection on 127.0.0.1: the server sends a line, the client reads it."""
    seen: list[str | None] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(peer_dn(writer.get_extra_info("ssl_object")))
        writer.write(b"hello\n")
        await writer.drain()
        writer.close()

    async def main() -> bytes | None:
        listener = await asyncio.start_server(serve, "127.0.0.1", 0, ssl=server)
        port = listener.sockets[0].getsockname()[1]
        try:
            return await asyncio.wait_for(talk(port), 10)
        finally:
            listener.close()
            await listener.wait_closed()

    async def talk(port: int) -> bytes | None:
        try:
            reader, writer = await asyncio.open_connection(
                "127.0.0.1", port, ssl=client, server_hostname="localhost"
            )
        except (ssl.SSLError, ConnectionError):
            return None
        try:
            # TLS 1.3: a refused client learns it only now, by an error or a bare EOF.
            return await reader.read() or None
        except (ssl.SSLError, ConnectionError):
            return None
        finally:
            writer.close()
            with contextlib.suppress(ssl.SSLError, ConnectionError):
                await writer.wait_closed()

    client_read = asyncio.run(main())
    return Exchange(tuple(seen), client_read)


@pytest.fixture(scope="module")
def issued(tmp_path_factory: pytest.TempPathFactory) -> Issued:
    """mkcert's files in ``<state_dir>/tls``, with a client ``alice``."""
    state_dir = tmp_path_factory.mktemp("state")
    return make_certificates(
        Plan(directory=state_dir / "tls", host="localhost", clients=("alice",))
    )


@pytest.fixture(scope="module")
def other_ca(tmp_path_factory: pytest.TempPathFactory) -> Issued:
    """A second, unrelated CA, with a client ``mallory``."""
    directory = tmp_path_factory.mktemp("other") / "tls"
    return make_certificates(Plan(directory=directory, host="localhost", clients=("mallory",)))


def state_dir_of(issued: Issued) -> Path:
    return issued.ca_file.parent.parent


def context_for(issued: Issued, conf: str = "") -> ssl.SSLContext:
    context = server_context(settings_for(state_dir_of(issued), conf))
    assert context is not None
    return context


# --- the context -----------------------------------------------------------------------------


def test_ssl_version_none_means_plaintext_and_no_context(tmp_path: Path) -> None:
    # No TLS file is needed, or even looked at, for a plaintext server.
    assert server_context(settings_for(tmp_path, "ssl_version = none\n")) is None


@pytest.mark.parametrize("word", ["SSLv2", "SSLv3", "SSLv23", "TLSv1", "tlsv1", "TLSv1.2"])
def test_nessusd_ssl_versions_all_mean_tls_1_2_or_newer(issued: Issued, word: str) -> None:
    assert minimum_tls_version(word) is ssl.TLSVersion.TLSv1_2
    assert context_for(issued, f"ssl_version = {word}\n").minimum_version is (
        ssl.TLSVersion.TLSv1_2
    )


def test_the_default_ssl_version_is_tls_1_2_or_newer(issued: Issued) -> None:
    assert context_for(issued).minimum_version is ssl.TLSVersion.TLSv1_2


@pytest.mark.parametrize(
    ("word", "minimum"),
    [
        ("TLSv1.0", ssl.TLSVersion.TLSv1),
        ("tlsv1.1", ssl.TLSVersion.TLSv1_1),
        ("TLSv1.3", ssl.TLSVersion.TLSv1_3),
    ],
)
def test_only_an_explicit_version_number_changes_the_minimum(
    issued: Issued, word: str, minimum: ssl.TLSVersion
) -> None:
    # ssl_version's conf choices are nessusd's; a hand-made Settings carries the new words.
    settings = dataclasses.replace(settings_for(state_dir_of(issued)), ssl_version=word)
    context = server_context(settings)
    assert context is not None
    assert context.minimum_version is minimum


def test_an_unknown_ssl_version_is_a_config_error(tmp_path: Path) -> None:
    settings = dataclasses.replace(settings_for(tmp_path), ssl_version="TLSv9")
    with pytest.raises(ConfigError, match=r"ssl_version = TLSv9: not one of NONE, sslv2"):
        server_context(settings)


@pytest.mark.parametrize(("value", "mode"), [("", ssl.CERT_OPTIONAL), ("no", ssl.CERT_OPTIONAL)])
def test_a_client_certificate_is_asked_for_but_not_required(
    issued: Issued, value: str, mode: ssl.VerifyMode
) -> None:
    assert context_for(issued, f"force_pubkey_auth = {value}\n").verify_mode is mode


@pytest.mark.parametrize("value", ["yes", "Yes", "1", "true"])
def test_force_pubkey_auth_set_to_anything_but_no_requires_a_certificate(
    issued: Issued, value: str
) -> None:
    context = context_for(issued, f"force_pubkey_auth = {value}\n")
    assert context.verify_mode is ssl.CERT_REQUIRED


@pytest.mark.parametrize("key", ["cert_file", "key_file", "ca_file"])
def test_a_missing_tls_file_is_a_config_error_naming_its_key_and_path(
    issued: Issued, tmp_path: Path, key: str
) -> None:
    missing = tmp_path / "nowhere.pem"
    with pytest.raises(ConfigError, match=rf"^{key} = {missing}: no such file"):
        context_for(issued, f"{key} = {missing}\n")


def test_a_file_that_is_not_pem_is_a_config_error(issued: Issued, tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate\n")
    with pytest.raises(ConfigError, match=r"cert_file = .*garbage.pem.*cannot load"):
        context_for(issued, f"cert_file = {garbage}\n")
    with pytest.raises(ConfigError, match=r"ca_file = .*garbage.pem: no certificate"):
        context_for(issued, f"ca_file = {garbage}\n")


@pytest.fixture
def encrypted_key(issued: Issued, tmp_path: Path) -> Path:
    key = serialization.load_pem_private_key(issued.key_file.read_bytes(), password=None)
    path = tmp_path / "encrypted.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"open sesame"),
        )
    )
    return path


def test_pem_password_decrypts_the_server_key(issued: Issued, encrypted_key: Path) -> None:
    context_for(issued, f"key_file = {encrypted_key}\npem_password = open sesame\n")


@pytest.mark.parametrize("password_line", ["pem_password = wrong\n", ""])
def test_a_wrong_or_missing_pem_password_is_a_config_error_not_a_prompt(
    issued: Issued, encrypted_key: Path, password_line: str
) -> None:
    with pytest.raises(ConfigError, match=r"key_file = .*encrypted.pem.*pem_password"):
        context_for(issued, f"key_file = {encrypted_key}\n{password_line}")


@pytest.mark.parametrize("ciphers", [*CIPHER_SHORTCUTS, "ECDHE+AESGCM"])
def test_nessusd_cipher_shortcuts_and_openssl_cipher_strings_are_accepted(
    issued: Issued, ciphers: str
) -> None:
    context_for(issued, f"ssl_cipher_list = {ciphers}\n")


def test_a_cipher_list_openssl_refuses_is_a_config_error(issued: Issued) -> None:
    with pytest.raises(ConfigError, match=r"ssl_cipher_list = RC4-MD5: OpenSSL accepts no"):
        context_for(issued, "ssl_cipher_list = RC4-MD5\n")


# --- DNs -------------------------------------------------------------------------------------


def _certificate(name: x509.Name) -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )


def test_x509_oneline_writes_what_openssl_writes() -> None:
    # Expected: `openssl x509 -noout -subject -nameopt compat` (OpenSSL 3.0) on these names.
    attribute = x509.NameAttribute
    name = x509.Name(
        [
            attribute(NameOID.COUNTRY_NAME, "FR"),
            attribute(NameOID.STATE_OR_PROVINCE_NAME, "Île"),
            attribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "a=b/c"),
            attribute(NameOID.COMMON_NAME, "alice"),
            attribute(NameOID.EMAIL_ADDRESS, "alice@lab"),
            attribute(NameOID.DOMAIN_COMPONENT, "lab"),
            attribute(NameOID.SERIAL_NUMBER, "9"),
            attribute(NameOID.ORGANIZATION_NAME, "Zoé", _type=_ASN1Type.BMPString),
            attribute(NameOID.LOCALITY_NAME, "tab\there"),
            attribute(x509.ObjectIdentifier("1.2.3.4"), "x"),
        ]
    )
    # Through DER, as a peer's certificate arrives.
    subject = x509.load_der_x509_certificate(
        _certificate(name).public_bytes(serialization.Encoding.DER)
    ).subject
    assert x509_oneline(subject) == (
        "/C=FR/ST=\\xC3\\x8Ele/OU=a=b/c/CN=alice/emailAddress=alice@lab/DC=lab/serialNumber=9"
        "/O=\\x00Z\\x00o\\x00\\xE9/L=tab\\x09here/1.2.3.4=x"
    )


def test_both_spellings_of_the_email_attribute_have_one_canonical_form() -> None:
    old = "/C=FR/O=Lab/CN=alice/Email=alice@lab"
    new = "/C=FR/O=Lab/CN=alice/emailAddress=alice@lab"
    assert canonical_dn(old) == canonical_dn(new) == new
    assert canonical_dn("/CN=Email=x") == "/CN=Email=x"


def test_a_plaintext_connection_has_no_dn() -> None:
    assert peer_dn(None) is None


# --- handshakes ------------------------------------------------------------------------------


def alice_context(issued: Issued) -> ssl.SSLContext:
    alice = issued.clients[0]
    return client_context(issued.ca_file, alice.cert_file, alice.key_file)


def test_the_server_sees_the_client_certificate_dn(issued: Issued) -> None:
    assert exchange(context_for(issued), alice_context(issued)) == Exchange((ALICE_DN,), b"hello\n")


def test_a_client_without_certificate_logs_in_with_no_dn(issued: Issued) -> None:
    result = exchange(context_for(issued), client_context(issued.ca_file))
    assert result == Exchange((None,), b"hello\n")


def test_force_pubkey_auth_refuses_a_client_without_certificate(issued: Issued) -> None:
    server = context_for(issued, "force_pubkey_auth = yes\n")
    assert exchange(server, client_context(issued.ca_file)) == Exchange((), None)
    assert exchange(server, alice_context(issued)).server_saw == (ALICE_DN,)


def test_a_client_certificate_from_another_ca_is_refused(issued: Issued, other_ca: Issued) -> None:
    mallory = other_ca.clients[0]
    client = client_context(issued.ca_file, mallory.cert_file, mallory.key_file)
    assert exchange(context_for(issued), client) == Exchange((), None)


def test_a_client_trusting_another_ca_refuses_the_server(issued: Issued, other_ca: Issued) -> None:
    assert exchange(context_for(issued), client_context(other_ca.ca_file)) == Exchange((), None)


def test_a_tls_1_1_client_is_refused_unless_the_admin_allows_it(issued: Issued) -> None:
    client = client_context(issued.ca_file)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        client.minimum_version = ssl.TLSVersion.TLSv1
        client.maximum_version = ssl.TLSVersion.TLSv1_1
    client.set_ciphers("DEFAULT:@SECLEVEL=0")
    assert exchange(context_for(issued), client) == Exchange((), None)
    settings = dataclasses.replace(settings_for(state_dir_of(issued)), ssl_version="TLSv1.1")
    legacy = server_context(settings)
    assert legacy is not None
    assert exchange(legacy, client) == Exchange((None,), b"hello\n")
