"""acceptance/clients.py's tls_ping, against real TLS servers on 127.0.0.1: a server
that wants the lab's client certificate refuses the others, one that wants none
answers everybody, and a server without TLS is not taken for a refusal."""

import socket
import ssl
import threading

import pytest

from acceptance.clients import cross_node_fix, tls_ping
from lab.pki import ensure_pki, make_foreign_client

TIMEOUT = 5  # seconds, for every socket and thread
ANSWER = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK"


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pki")
    return ensure_pki(folder, {"node1": "127.0.0.1"}), make_foreign_client(folder)


def serving(pki, clients: str):
    """A one-connection server on 127.0.0.1 answering ``GET /_ping`` with 200: over TLS
    that requires a certificate of the lab's CA (``clients="lab"``), over TLS that
    asks for none (``"any"``), or without TLS (``"plain"``). Yields its port."""
    context = None
    if clients != "plain":
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*pki.server("node1"))
        if clients == "lab":
            context.load_verify_locations(pki.ca)
            context.verify_mode = ssl.CERT_REQUIRED
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(TIMEOUT)

    def serve():
        try:
            connection, _ = listener.accept()
            connection.settimeout(TIMEOUT)
            with context.wrap_socket(connection, server_side=True) if context else connection \
                    as stream:
                stream.recv(4096)
                stream.sendall(ANSWER)
        except OSError:
            pass  # the refusal the client reports

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return listener, thread


@pytest.fixture
def server(pki):
    started = []

    def start(clients: str) -> int:
        listener, thread = serving(pki[0], clients)
        started.append((listener, thread))
        return listener.getsockname()[1]

    yield start
    for listener, thread in started:
        thread.join(TIMEOUT)
        listener.close()


def test_a_server_wanting_the_lab_ca_refuses_a_client_without_certificate(server):
    assert tls_ping("127.0.0.1", server("lab")).startswith("refused: ")


def test_a_server_wanting_the_lab_ca_refuses_a_foreign_certificate(server, pki):
    _, foreign = pki
    assert tls_ping("127.0.0.1", server("lab"), foreign).startswith("refused: ")


def test_a_server_wanting_the_lab_ca_answers_the_lab_client(server, pki):
    lab, _ = pki
    said = tls_ping("127.0.0.1", server("lab"), (lab.client_cert, lab.client_key))
    assert said == "answered: HTTP/1.1 200 OK"


def test_a_server_asking_no_certificate_answers_a_client_without_one(server):
    assert tls_ping("127.0.0.1", server("any")) == "answered: HTTP/1.1 200 OK"


def test_a_server_without_tls_is_not_a_refusal(server):
    with pytest.raises(ssl.SSLError):
        tls_ping("127.0.0.1", server("plain"))


def test_nothing_listening_is_not_a_refusal():
    with socket.create_server(("127.0.0.1", 0)) as unused:
        port = unused.getsockname()[1]
    with pytest.raises(ConnectionRefusedError):
        tls_ping("127.0.0.1", port)


@pytest.mark.parametrize("error, fix", [
    ('error during connect: Get "https://node2:2376/v1.41/info": dial tcp '
     "192.168.56.12:2376: connect: connection refused", "Nothing answers on node2:2376"),
    ('error during connect: Get "https://node2:2376/v1.41/info": dial tcp: lookup node2 on '
     "10.0.2.3:53: no such host", "node2 does not resolve"),
    ('could not read CA certificate "/home/vagrant/.docker/ca.pem": open '
     "/home/vagrant/.docker/ca.pem: no such file or directory", "Install a client certificate"),
    ('error during connect: Get "https://node2:2376/v1.41/info": x509: certificate signed '
     "by unknown authority", "Install a client certificate"),
    ("timeout: no answer in 30 s", "Nothing answers on node2:2376"),
    ('error during connect: Get "https://192.168.56.22:2376/v1.41/info": tls: failed to '
     "verify certificate: x509: certificate is valid for 127.0.0.1, node2, not 192.168.56.22",
     "The daemon's certificate on node2 does not name node2"),
    ('error during connect: Get "https://192.168.56.22:2376/v1.41/info": x509: cannot '
     "validate certificate for 192.168.56.22 because it doesn't contain any IP SANs",
     "The daemon's certificate on node2 does not name node2"),
])
def test_a_failed_cross_node_call_is_told_by_its_cause(error, fix):
    assert cross_node_fix(error, "node2", 2376).startswith(fix)
