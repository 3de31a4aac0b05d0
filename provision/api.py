"""TP section "Docker basics — 3. HTTP API" (API-1 … API-3), on node1.

    curl --unix-socket /var/run/docker.sock http://localhost/containers/json

The API is Docker's own; the section needs only curl, which the acceptance
suite then drives exactly as the TP does.
"""

from provision import platform as platforms


def install_curl(platform: platforms.Platform) -> None:
    """API-1, API-2, API-3 — ``dnf install curl`` / ``apt install curl``."""
    platforms.install_packages(platform, ["curl"], name="Install curl (API-1, API-2, API-3)")


def deploy(platform: platforms.Platform) -> None:
    """The section's steps: only curl; the API is Docker's own."""
    install_curl(platform)
