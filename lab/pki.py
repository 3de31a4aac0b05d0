"""The lab's small PKI: mutual TLS for Docker's TCP socket (TP "Docker basics").

Docker's "Protect the Docker daemon socket" recipe, made on the host with the
`cryptography` library instead of the openssl CLI: one CA, a server
certificate per node (its name and address in subjectAltName, extendedKeyUsage
serverAuth) and one client certificate (clientAuth). The client's files are
named as the docker CLI wants them in ~/.docker or $DOCKER_CERT_PATH.

>>> folder = Path(tempfile.mkdtemp()) / "pki"       # the lab's is STATE_DIR / "pki"
>>> pki = ensure_pki(folder, {"node1": "192.168.56.11"})
>>> pki.ca.name, pki.client_cert.name, pki.client_key.name
('ca.pem', 'cert.pem', 'key.pem')
>>> [path.name for path in pki.server("node1")]
['server-cert.pem', 'server-key.pem']
>>> import shutil; shutil.rmtree(folder.parent)

    .vagrant/lab/pki/
        ca.pem  ca-key.pem
        node1/server-cert.pem  node1/server-key.pem
        client/cert.pem  client/key.pem
        foreign/cert.pem  foreign/key.pem    (make_foreign_client: another CA's)

Files are made once: a second call leaves every byte and mtime alone, so
re-provisioning never restarts a daemon for new certificates. A server
certificate is re-issued, from the same CA, only when its node's name or
address changed in lab.yml; every certificate is re-issued when the CA is gone.
"""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import logging
import os
import re
import sys
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

log = logging.getLogger(__name__)

CA_NAME = "tp15 lab CA"
CLIENT_NAME = "tp15-client"
CA_DAYS = 10 * 365
LEAF_DAYS = 2 * 365
# VM clocks can lag the host's (a suspended VM resumes with its old time):
# a certificate that starts now would be "not yet valid" there.
BACKDATE = datetime.timedelta(days=1)

CA_CERT, CA_KEY = "ca.pem", "ca-key.pem"
SERVER_CERT, SERVER_KEY = "server-cert.pem", "server-key.pem"
CLIENT_DIR, FOREIGN_DIR = "client", "foreign"
CLIENT_CERT, CLIENT_KEY = "cert.pem", "key.pem"
LOCK = ".lock"
RESERVED = (CLIENT_DIR, FOREIGN_DIR)
# A node's name is a DNS name in its certificate and a folder name here.
NODE_NAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$")

Key = ec.EllipticCurvePrivateKey
Pair = tuple[x509.Certificate, Key]


class PkiError(RuntimeError):
    """A file of the PKI cannot be read; the message names it and what to do."""


@dataclass(frozen=True)
class Pki:
    """Where the lab's certificates are, once `ensure_pki` has made them."""

    folder: Path
    servers: tuple[str, ...]

    @property
    def ca(self) -> Path:
        return self.folder / CA_CERT

    @property
    def ca_key(self) -> Path:
        return self.folder / CA_KEY

    @property
    def client_cert(self) -> Path:
        return self.folder / CLIENT_DIR / CLIENT_CERT

    @property
    def client_key(self) -> Path:
        return self.folder / CLIENT_DIR / CLIENT_KEY

    def server(self, name: str) -> tuple[Path, Path]:
        """The (certificate, key) of the node ``name``."""
        if name not in self.servers:
            raise KeyError(f"no server certificate for {name!r}; "
                           f"this PKI has {', '.join(self.servers) or 'none'}")
        return self.folder / name / SERVER_CERT, self.folder / name / SERVER_KEY


def ensure_pki(folder: Path, servers: Mapping[str, str]) -> Pki:
    """Make what is missing of the CA, the servers' and the client's certificates in ``folder``.

    ``servers`` maps a node's name to its IPv4 address, as in lab.yml.
    """
    folder = Path(folder)
    wanted = {name: _server_names(name, address) for name, address in servers.items()}
    with _locked(folder):
        ca = _read_pair(folder / CA_CERT, folder / CA_KEY)
        if ca is None:
            if any((folder / name).exists() for name in (*servers, CLIENT_DIR)):
                log.warning("%s: no CA (%s, %s): making a new one and re-issuing every "
                            "certificate; the nodes' daemons need the new files",
                            folder, CA_CERT, CA_KEY)
            ca = _new_ca(CA_NAME)
            _write_pair(folder / CA_CERT, folder / CA_KEY, ca)
        for name, names in wanted.items():
            _ensure_leaf(folder / name / SERVER_CERT, folder / name / SERVER_KEY, ca,
                         name, ExtendedKeyUsageOID.SERVER_AUTH, names)
        _ensure_leaf(folder / CLIENT_DIR / CLIENT_CERT, folder / CLIENT_DIR / CLIENT_KEY, ca,
                     CLIENT_NAME, ExtendedKeyUsageOID.CLIENT_AUTH, None)
    return Pki(folder=folder, servers=tuple(servers))


def make_foreign_client(folder: Path) -> tuple[Path, Path]:
    """A client (certificate, key) from a throwaway CA, which the lab's daemons must refuse."""
    folder = Path(folder)
    cert, key = folder / FOREIGN_DIR / CLIENT_CERT, folder / FOREIGN_DIR / CLIENT_KEY
    with _locked(folder):
        if _read_pair(cert, key) is None:
            # The same CN as the lab's client: only the issuer tells them apart.
            pair = _issue(_new_ca("tp15 foreign CA"), CLIENT_NAME,
                          ExtendedKeyUsageOID.CLIENT_AUTH, None)
            _write_pair(cert, key, pair)
    return cert, key


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Hold ``folder``'s lock: one provisioning process per node may run at the same time."""
    _make_dir(folder)
    with open(folder / LOCK, "a") as lock:
        _lock_file(lock, True)
        try:
            yield
        finally:
            _lock_file(lock, False)


def _lock_file(stream, locked: bool) -> None:
    """An exclusive lock on an open file: flock on Linux and macOS, msvcrt on Windows."""
    if sys.platform == "win32":
        import msvcrt

        stream.seek(0)
        # LK_LOCK retries for 10 seconds, then fails: enough for another node's PKI step.
        msvcrt.locking(stream.fileno(), msvcrt.LK_LOCK if locked else msvcrt.LK_UNLCK, 1)
    else:
        import fcntl

        fcntl.flock(stream, fcntl.LOCK_EX if locked else fcntl.LOCK_UN)


def _server_names(name: str, address: str) -> list[x509.GeneralName]:
    """The subjectAltName a node's server certificate must have, in a stable order."""
    if not NODE_NAME.match(name) or name in RESERVED:
        raise ValueError(f"{name!r} cannot name a server certificate (a host name and a "
                         f"folder; not {' or '.join(RESERVED)}); use a node name such as node1")
    try:
        ip = ipaddress.IPv4Address(address)
    except ValueError:
        raise ValueError(f"{name}: {address!r} is not an IPv4 address; "
                         "use the node's ip from lab.yml, e.g. 192.168.56.11") from None
    return [x509.DNSName(name), x509.DNSName("localhost"),
            x509.IPAddress(ip), x509.IPAddress(ipaddress.IPv4Address("127.0.0.1"))]


def _ensure_leaf(cert_path: Path, key_path: Path, ca: Pair, name: str,
                 usage: x509.ObjectIdentifier, names: list[x509.GeneralName] | None) -> None:
    """Issue the certificate at ``cert_path`` unless the one there is still right."""
    pair = _read_pair(cert_path, key_path)
    if pair is not None:
        stale = _stale(pair[0], ca[0], names)
        if stale is None:
            return
        log.info("%s: %s: issuing it again", cert_path, stale)
    _write_pair(cert_path, key_path, _issue(ca, name, usage, names))


def _stale(cert: x509.Certificate, ca: x509.Certificate,
           names: list[x509.GeneralName] | None) -> str | None:
    """Why ``cert`` must be re-issued, or None."""
    try:
        cert.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature):
        return "not issued by the current CA"
    if names is not None:
        try:
            found = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        except x509.ExtensionNotFound:
            found = []
        if set(found) != set(names):
            return "its subjectAltName no longer matches lab.yml"
    return None


def _new_ca(common_name: str) -> Pair:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + datetime.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=False, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def _issue(ca: Pair, common_name: str, usage: x509.ObjectIdentifier,
           names: list[x509.GeneralName] | None) -> Pair:
    ca_cert, ca_key = ca
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + datetime.timedelta(days=LEAF_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
            ca_key.public_key()), critical=False)
    )
    if names is not None:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return builder.sign(ca_key, hashes.SHA256()), key


def _read_pair(cert_path: Path, key_path: Path) -> Pair | None:
    """The certificate and key there, or None when either file is missing."""
    if not (cert_path.exists() and key_path.exists()):
        return None
    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    except ValueError:
        raise PkiError(f"{cert_path} is not a PEM certificate; delete it (and {key_path}) "
                       "and run the provisioning again to issue a new one") from None
    try:
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    except (ValueError, TypeError):
        raise PkiError(f"{key_path} is not an unencrypted PEM private key; delete it (and "
                       f"{cert_path}) and run the provisioning again") from None
    if key.public_key() != cert.public_key():
        raise PkiError(f"{key_path} is not the key of {cert_path}; delete both and run the "
                       "provisioning again to issue a new pair")
    return cert, key


def _write_pair(cert_path: Path, key_path: Path, pair: Pair) -> None:
    cert, key = pair
    _make_dir(cert_path.parent)
    # The key first: a certificate on disk always has its key beside it.
    _write(key_path, key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()), mode=0o600)
    _write(cert_path, cert.public_bytes(serialization.Encoding.PEM), mode=0o644)


def _write(path: Path, data: bytes, mode: int) -> None:
    """Replace ``path`` at once: an interrupted run leaves the old file or none, never half."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def _make_dir(path: Path) -> None:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    # mkdir's mode is cut by the umask and ignored for a folder that exists.
    path.chmod(0o700)
