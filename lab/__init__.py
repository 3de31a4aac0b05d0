"""The TP 1.5 reference lab: its settings (lab.yml) and its requirement catalogue.

Everything on the host side imports this package first (the Vagrantfile's first call is
``python3 -m lab.settings``): a Python the code cannot run on is refused here, in words,
before anything is created.
"""

import sys

PYTHON = (3, 11)  # datetime.UTC, the pinned pyinfra and docker SDK

if sys.version_info < PYTHON:
    raise SystemExit(
        f"The lab needs Python {'.'.join(map(str, PYTHON))} or newer; {sys.executable} is "
        f"{sys.version.split()[0]}. On Ubuntu 22.04: `sudo apt install python3.11 "
        "python3.11-venv`, then `python3.11 -m venv .venv && .venv/bin/pip install -r "
        "requirements.txt` (README, 'Set up the host'). Nothing was started.")
