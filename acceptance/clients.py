"""Clients the checks use from the machine that runs the suite (the host, "from outside").

    tls = ClientTLS(ca="ca.pem", cert="cert.pem", key="key.pem")  # a client's TLS files
    sdk = tcp_client("192.168.56.12", 2376, tls)   # docker SDK, mutual TLS
    assert_listening("192.168.56.12", 2376)
    tls_ping("192.168.56.12", 2376)        # "refused: TLSV13_ALERT_CERTIFICATE_REQUIRED"
    cross_node_fix(docker_cli_error, "node2", 2376)   # what to do about it
"""

import socket
import ssl
from dataclasses import dataclass

import docker
import pytest


@dataclass(frozen=True)
class ClientTLS:
    """What a Docker client needs to reach a daemon with mutual TLS: the CA that signed the
    daemon's certificate, and a client certificate and key that the daemon's CA signed
    (``~/.docker/{ca,cert,key}.pem``)."""

    ca: str
    cert: str
    key: str


def tcp_client(address, port, tls: ClientTLS):
    """A docker SDK client of the TCP daemon at ``address:port``, with ``tls``'s files."""
    config = docker.tls.TLSConfig(client_cert=(tls.cert, tls.key), ca_cert=tls.ca, verify=True)
    # API 1.41 (Engine 20.10) is served by every engine the lab pins; a fixed version
    # avoids a request before trust_env is off.
    sdk = docker.DockerClient(base_url=f"tcp://{address}:{port}", tls=config, version="1.41",
                              timeout=30)
    # requests would otherwise verify against $REQUESTS_CA_BUNDLE instead of the lab's CA.
    sdk.api.trust_env = False
    return sdk


def assert_listening(address, port):
    """Fails with a clear message when nothing accepts TCP connections on address:port."""
    try:
        socket.create_connection((address, port), timeout=10).close()
    except OSError as error:
        pytest.fail(f"Nothing accepts connections on {address}:{port} ({error}): is "
                    "docker-tcp.service running and listening on tcp://0.0.0.0:2376?")


def tls_ping(address, port, client=None) -> str:
    """What a daemon says to ``GET /_ping`` over TLS from a client with ``client`` =
    (cert, key), or with no certificate: ``"answered: HTTP/1.1 200 OK"``, or
    ``"refused: …"`` when, the TLS handshake done, the server ends the session with an
    alert or closes it unanswered (``--tlsverify`` turning the client away). The client
    does not check the server's certificate, so that a daemon is judged by what it
    accepts, whatever CA signed its own certificate. Raises OSError otherwise (nothing
    listening; no TLS there: ``WRONG_VERSION_NUMBER``)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    if client:
        context.load_cert_chain(*client)
    with socket.create_connection((address, port), timeout=30) as raw:
        try:
            tls = context.wrap_socket(raw)
        except ssl.SSLError as error:
            if "ALERT" in (error.reason or ""):  # TLS 1.2: the refusal ends the handshake
                return f"refused: {error.reason}"
            raise
        with tls:
            # TLS 1.3: the server judges the client's certificate after the handshake;
            # its alert comes with the first read, or the session is already closed.
            try:
                tls.sendall(f"GET /_ping HTTP/1.1\r\nHost: {address}\r\n"
                            "Connection: close\r\n\r\n".encode())
                answer = tls.recv(4096)
            except ssl.SSLError as error:
                if "ALERT" in (error.reason or ""):
                    return f"refused: {error.reason}"
                answer = b""  # e.g. SSLEOFError: closed before the request was sent
            except (ConnectionResetError, BrokenPipeError):
                answer = b""
    if not answer:
        return "refused: the session closed unanswered after the handshake"
    return "answered: " + answer.decode(errors="replace").splitlines()[0]


def cross_node_fix(error: str, other: str, port: int) -> str:
    """What to do about a failed `docker --tlsverify -H tcp://OTHER:PORT` from one node,
    told by the client's error."""
    lowered = error.lower()
    if "no such host" in lowered or "name resolution" in lowered:
        return f"{other} does not resolve: add it to /etc/hosts."
    if "connection refused" in lowered or "cannot connect" in lowered or "timeout" in lowered:
        return (f"Nothing answers on {other}:{port}: is docker-tcp.service running on {other}, "
                "and its port open in the firewall?")
    if "certificate is valid for" in lowered or "doesn't contain any ip sans" in lowered:
        return (f"The daemon's certificate on {other} does not name {other}: sign it again "
                "with that name and address in its subjectAltName.")
    return ("Install a client certificate in the ~/.docker of a docker user there (ca.pem, "
            f"cert.pem, key.pem), signed by the CA the daemon on {other} trusts.")
