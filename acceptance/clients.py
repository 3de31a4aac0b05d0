"""Clients the checks use from the machine that runs the suite (the host, "from outside").

    sdk = tcp_client("192.168.56.12", 2376, lab_pki, (cert, key))   # docker SDK, mutual TLS
    assert_listening("192.168.56.12", 2376)
"""

import socket

import docker
import pytest


def tcp_client(address, port, pki, client=None):
    """A docker SDK client of the TCP daemon, with ``client`` = (cert, key) or none."""
    tls = docker.tls.TLSConfig(client_cert=client, ca_cert=str(pki.ca), verify=True)
    # API 1.41 (Engine 20.10) is served by every engine the lab pins; a fixed version
    # avoids a request before trust_env is off.
    sdk = docker.DockerClient(base_url=f"tcp://{address}:{port}", tls=tls, version="1.41",
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
