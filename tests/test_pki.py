"""lab/pki.py: the certificates are made once, are right, and really do mutual TLS."""

import datetime
import ipaddress
import logging
import multiprocessing
import socket
import ssl
import stat
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from lab import pki as pki_module
from lab.pki import CA_NAME, Pki, PkiError, ensure_pki, make_foreign_client

SERVERS = {"node1": "192.168.56.11", "node2": "192.168.56.12"}
TIMEOUT = 5  # seconds, for every socket and thread of the TLS tests


def cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def snapshot(folder: Path) -> dict[str, tuple[bytes, int, int]]:
    """Every file under ``folder``: its bytes, mtime and mode."""
    return {str(path.relative_to(folder)): (path.read_bytes(), path.stat().st_mtime_ns, mode(path))
            for path in sorted(folder.rglob("*")) if path.is_file()}


def sans(certificate: x509.Certificate) -> set:
    return set(certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value)


def usages(certificate: x509.Certificate) -> list:
    return list(certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)


def issued_by(leaf: Path, ca: Path) -> bool:
    try:
        cert(leaf).verify_directly_issued_by(cert(ca))
    except (ValueError, InvalidSignature):
        return False
    return True


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "pki"


def test_files_and_modes(folder):
    pki = ensure_pki(folder, SERVERS)

    assert pki == Pki(folder=folder, servers=("node1", "node2"))
    assert (pki.ca, pki.ca_key) == (folder / "ca.pem", folder / "ca-key.pem")
    # The names the docker CLI looks for in ~/.docker or $DOCKER_CERT_PATH.
    assert (pki.client_cert, pki.client_key) == (folder / "client/cert.pem",
                                                 folder / "client/key.pem")
    assert pki.server("node2") == (folder / "node2/server-cert.pem",
                                   folder / "node2/server-key.pem")
    for path in (folder, folder / "node1", folder / "node2", folder / "client"):
        assert mode(path) == 0o700, path
    for key in (pki.ca_key, pki.client_key, *(pki.server(name)[1] for name in SERVERS)):
        assert mode(key) == 0o600, key
        assert b"PRIVATE KEY" in key.read_bytes()
    for certificate in (pki.ca, pki.client_cert, *(pki.server(name)[0] for name in SERVERS)):
        assert mode(certificate) == 0o644, certificate
        assert isinstance(cert(certificate).public_key(), ec.EllipticCurvePublicKey)
    assert sorted(p.name for p in folder.iterdir()) == [
        ".lock", "ca-key.pem", "ca.pem", "client", "node1", "node2"]


def test_a_server_that_was_not_asked_for_is_refused(folder):
    pki = ensure_pki(folder, {"node1": "192.168.56.11"})
    with pytest.raises(KeyError, match="'node2'.*node1"):
        pki.server("node2")


def test_second_call_changes_nothing(folder):
    ensure_pki(folder, SERVERS)
    make_foreign_client(folder)
    before = snapshot(folder)
    time.sleep(0.01)  # an mtime that changed would differ

    ensure_pki(folder, SERVERS)
    assert make_foreign_client(folder) == (folder / "foreign/cert.pem", folder / "foreign/key.pem")

    assert snapshot(folder) == before


def test_ca(folder):
    ca = cert(ensure_pki(folder, SERVERS).ca)

    assert ca.subject == ca.issuer
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert ca.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign
    lifetime = ca.not_valid_after_utc - datetime.datetime.now(datetime.UTC)
    assert datetime.timedelta(days=3640) < lifetime <= datetime.timedelta(days=3650)


@pytest.mark.parametrize("name", SERVERS)
def test_server_certificate(folder, name):
    pki = ensure_pki(folder, SERVERS)
    server = cert(pki.server(name)[0])

    assert sans(server) == {
        x509.DNSName(name), x509.DNSName("localhost"),
        x509.IPAddress(ipaddress.IPv4Address(SERVERS[name])),
        x509.IPAddress(ipaddress.IPv4Address("127.0.0.1")),
    }
    assert usages(server) == [ExtendedKeyUsageOID.SERVER_AUTH]
    assert not server.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    server.verify_directly_issued_by(cert(pki.ca))
    lifetime = server.not_valid_after_utc - datetime.datetime.now(datetime.UTC)
    assert datetime.timedelta(days=720) < lifetime <= datetime.timedelta(days=730)


def test_client_certificate(folder):
    pki = ensure_pki(folder, SERVERS)
    client = cert(pki.client_cert)

    assert client.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "tp15-client"
    assert usages(client) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    client.verify_directly_issued_by(cert(pki.ca))


def test_foreign_client_is_not_from_the_lab_ca(folder):
    pki = ensure_pki(folder, SERVERS)
    foreign_cert, foreign_key = make_foreign_client(folder)

    assert mode(foreign_key) == 0o600
    assert usages(cert(foreign_cert)) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    with pytest.raises((ValueError, InvalidSignature)):
        cert(foreign_cert).verify_directly_issued_by(cert(pki.ca))


def test_foreign_client_does_not_need_the_lab_pki(folder):
    make_foreign_client(folder)
    before = snapshot(folder)

    ensure_pki(folder, SERVERS)

    assert {name: before[name] for name in before} == {
        name: value for name, value in snapshot(folder).items() if name in before}


def test_changed_ip_reissues_that_server_certificate_only(folder, caplog):
    pki = ensure_pki(folder, SERVERS)
    before = snapshot(folder)
    moved = {**SERVERS, "node2": "192.168.56.22"}

    with caplog.at_level(logging.INFO, logger="lab.pki"):
        ensure_pki(folder, moved)

    after = snapshot(folder)
    changed = sorted(name for name in after if after[name] != before[name])
    assert changed == ["node2/server-cert.pem", "node2/server-key.pem"]
    node2 = cert(pki.server("node2")[0])
    assert x509.IPAddress(ipaddress.IPv4Address("192.168.56.22")) in sans(node2)
    assert x509.IPAddress(ipaddress.IPv4Address("192.168.56.12")) not in sans(node2)
    node2.verify_directly_issued_by(cert(pki.ca))
    assert "node2/server-cert.pem: its subjectAltName no longer matches lab.yml" in caplog.text


def test_missing_ca_reissues_everything(folder, caplog):
    pki = ensure_pki(folder, SERVERS)
    before = snapshot(folder)
    pki.ca.unlink()

    with caplog.at_level(logging.INFO, logger="lab.pki"):
        ensure_pki(folder, SERVERS)

    after = snapshot(folder)
    assert all(after[name][0] != before[name][0] for name in before if name != ".lock")
    for leaf in (pki.client_cert, *(pki.server(name)[0] for name in SERVERS)):
        assert issued_by(leaf, pki.ca), leaf
    assert any(record.levelno == logging.WARNING and "no CA" in record.getMessage()
               and "re-issuing every certificate" in record.getMessage()
               for record in caplog.records)


def test_a_missing_key_reissues_its_certificate(folder):
    pki = ensure_pki(folder, SERVERS)
    before = snapshot(folder)
    pki.client_key.unlink()

    ensure_pki(folder, SERVERS)

    after = snapshot(folder)
    changed = sorted(name for name in after if after[name] != before[name])
    assert changed == ["client/cert.pem", "client/key.pem"]


def test_a_broken_file_is_named_not_replaced(folder):
    pki = ensure_pki(folder, SERVERS)
    pki.server("node1")[0].write_text("not a certificate\n")

    with pytest.raises(PkiError, match=r"node1/server-cert\.pem is not a PEM certificate; "
                                       r"delete it"):
        ensure_pki(folder, SERVERS)
    assert pki.server("node1")[0].read_text() == "not a certificate\n"


@pytest.mark.parametrize(("servers", "message"), [
    ({"node1": "192.168.56"}, "node1: '192.168.56' is not an IPv4 address"),
    ({"node1": "fe80::1"}, "node1: 'fe80::1' is not an IPv4 address"),
    ({"../etc": "192.168.56.11"}, "'../etc' cannot name a server certificate"),
    ({"client": "192.168.56.11"}, "'client' cannot name a server certificate"),
])
def test_bad_servers_are_refused_before_anything_is_written(folder, servers, message):
    with pytest.raises(ValueError, match=message):
        ensure_pki(folder, servers)
    assert not folder.exists()


def test_concurrent_calls_make_one_ca(folder, monkeypatch):
    made = []
    new_ca = pki_module._new_ca

    def slow_new_ca(name):
        made.append(name)
        time.sleep(0.2)  # a wide window for a second caller to make its own CA
        return new_ca(name)

    monkeypatch.setattr(pki_module, "_new_ca", slow_new_ca)
    start = threading.Barrier(4)

    def call() -> Pki:
        start.wait(TIMEOUT)
        return ensure_pki(folder, SERVERS)

    with ThreadPoolExecutor(4) as pool:
        results = [future.result(timeout=30) for future in [pool.submit(call) for _ in range(4)]]

    assert made == [CA_NAME]
    pki = results[0]
    for leaf in (pki.client_cert, *(pki.server(name)[0] for name in SERVERS)):
        assert issued_by(leaf, pki.ca), leaf


def test_concurrent_processes_share_one_ca(folder):
    # One provisioning process per node, as pyinfra runs them.
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(ensure_pki, folder, {name: address})
                   for name, address in SERVERS.items()]
        results = [future.result(timeout=60) for future in futures]

    for result, name in zip(results, SERVERS, strict=True):
        assert issued_by(result.server(name)[0], result.ca), name
    assert issued_by(results[0].client_cert, results[0].ca)


# Mutual TLS on loopback: the files work with a real TLS stack, as dockerd's will.

@pytest.fixture(scope="module")
def lab(tmp_path_factory) -> tuple[Pki, tuple[Path, Path]]:
    folder = tmp_path_factory.mktemp("mtls") / "pki"
    return ensure_pki(folder, SERVERS), make_foreign_client(folder)


def handshake(pki: Pki, client: tuple[Path, Path] | None,
              server_hostname: str = "node1") -> tuple[object, object]:
    """One TLS connection to a server on 127.0.0.1 that requires a client certificate.

    Returns what the server saw (the client's CN, or the error) and what the
    client read (b"ok", or the error).
    """
    server_cert, server_key = pki.server("node1")
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(server_cert, server_key)
    server_context.load_verify_locations(pki.ca)
    server_context.verify_mode = ssl.CERT_REQUIRED
    seen: list[object] = []

    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.settimeout(TIMEOUT)

        def serve() -> None:
            try:
                connection, _ = listener.accept()
                connection.settimeout(TIMEOUT)
                with server_context.wrap_socket(connection, server_side=True) as tls:
                    subject = dict(item[0] for item in tls.getpeercert()["subject"])
                    seen.append(subject["commonName"])
                    tls.sendall(b"ok")
            except (ssl.SSLError, OSError) as error:
                seen.append(error)

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        client_context = ssl.create_default_context(cafile=pki.ca)
        if client is not None:
            client_context.load_cert_chain(*client)
        try:
            with socket.create_connection(listener.getsockname(), timeout=TIMEOUT) as raw, \
                    client_context.wrap_socket(raw, server_hostname=server_hostname) as tls:
                # TLS 1.3 checks the client's certificate after the client's handshake:
                # a refusal shows on the first read.
                answer: object = tls.recv(2)
        except (ssl.SSLError, OSError) as error:
            answer = error
        thread.join(TIMEOUT)
        assert not thread.is_alive(), "the test server did not finish in time"
    return seen[0], answer


@pytest.mark.parametrize("server_hostname",
                         ["node1", "localhost", "127.0.0.1", "192.168.56.11"])
def test_lab_client_completes_the_handshake(lab, server_hostname):
    # The name or address is only checked against the certificate: every
    # connection goes to 127.0.0.1.
    pki, _ = lab
    assert handshake(pki, (pki.client_cert, pki.client_key), server_hostname) == (
        "tp15-client", b"ok")


def test_client_without_certificate_is_refused(lab):
    pki, _ = lab
    seen, answer = handshake(pki, None)
    assert isinstance(seen, ssl.SSLError), seen
    assert answer != b"ok"


def test_client_with_foreign_certificate_is_refused(lab):
    pki, foreign = lab
    seen, answer = handshake(pki, foreign)
    assert isinstance(seen, ssl.SSLError), seen
    assert "certificate verify failed" in str(seen)
    assert answer != b"ok"


def test_client_refuses_a_server_name_not_in_the_certificate(lab):
    pki, _ = lab
    _, answer = handshake(pki, (pki.client_cert, pki.client_key), server_hostname="node2")
    assert isinstance(answer, ssl.SSLCertVerificationError), answer
