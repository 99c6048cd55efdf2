"""Where Debian's Chromium is and the flags it runs with headless here (browser tests and screenshots)."""

from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
# No sandbox (CI runs as root), /tmp instead of a small /dev/shm, and none of the background traffic
# that waits on a network this machine does not have.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
