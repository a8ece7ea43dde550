"""A real Dovecot IMAP server on a free local port with one mailbox, for the inbound tests
(tests/inbound/conftest.py) and the inbound benchmark (bench/inbound.py).

Dovecot comes from Debian's dovecot-imapd, which .ci/install-dovecot installs.
"""

from __future__ import annotations

import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from tests import real_clock

DOVECOT = Path("/usr/sbin/dovecot")
MAILBOX_USER = "support@helpdesk.example"
MAILBOX_PASSWORD = "inbound-test-secret"


class DovecotMissing(RuntimeError):
    pass


class DovecotFailed(RuntimeError):
    pass


@contextmanager
def running_dovecot() -> Iterator[str]:
    """Start Dovecot, yield the mailbox's URL (imap://…/INBOX), stop it and remove its files."""
    if not DOVECOT.exists():
        raise DovecotMissing(f"{DOVECOT} is missing (run .ci/install-dovecot)")
    # Not under pytest's temporary folder: that is private to us, and Dovecot's own users
    # (dovecot, dovenull) must read what is here.
    home = Path(tempfile.mkdtemp(prefix="helpdesk-dovecot-"))
    home.chmod(0o755)
    port = free_port()
    if os.geteuid() == 0:
        mail_user = internal_user = "dovecot"
        login_user = "dovenull"
    else:
        mail_user = internal_user = login_user = pwd.getpwuid(os.geteuid()).pw_name
    (home / "users").write_text(f"{MAILBOX_USER}:{{PLAIN}}{MAILBOX_PASSWORD}\n")
    (home / "dovecot.conf").write_text(
        DOVECOT_CONF.format(
            home=home,
            port=port,
            mail_user=mail_user,
            internal_user=internal_user,
            login_user=login_user,
        )
    )
    for folder in ("run", "state", "mail"):
        (home / folder).mkdir()
    if os.geteuid() == 0:
        shutil.chown(home / "mail", user=mail_user, group=mail_user)
    process = subprocess.Popen(
        [str(DOVECOT), "-F", "-c", str(home / "dovecot.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=real_clock.environment(),
    )
    try:
        _wait_for_port(port, process, log=home / "dovecot.log")
        yield f"imap://{quote(MAILBOX_USER)}:{MAILBOX_PASSWORD}@127.0.0.1:{port}/INBOX"
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(home, ignore_errors=True)


DOVECOT_CONF = """
base_dir = {home}/run
state_dir = {home}/state
log_path = {home}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal_user}
default_login_user = {login_user}
first_valid_uid = 1
mail_location = maildir:{home}/mail/%n
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {home}/users
}}
userdb {{
  driver = static
  args = uid={mail_user} gid={mail_user} home={home}/mail/%n
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service stats {{
  unix_listener stats-reader {{
    user = {internal_user}
  }}
  unix_listener stats-writer {{
    user = {internal_user}
  }}
}}
"""


def logged_in(connect, *, seconds: float = 10):
    """`connect()` (an IMAP login), tried again for a few seconds while Dovecot says its
    authentication is not ready ("BYE Auth process broken": the master is restarting an auth
    process it stopped), so that a test is not set up against a server still starting one."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return connect()
        except (imaplib.IMAP4.abort, ConnectionError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen, *, log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            message = process.stderr.read().decode(errors="replace")
            if log.exists():
                message += log.read_text(errors="replace")
            raise DovecotFailed(f"Dovecot did not start: {message}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise DovecotFailed("Dovecot did not listen within 20 s")
