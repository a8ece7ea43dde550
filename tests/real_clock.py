"""The environment for a server the tests start, without libfaketime: under a shifted clock
(make test-shifted) the servers run on the real one, as a real server beside the help desk
would. Their own clocks play no part in what the tests assert (redis-server cannot even start
with libfaketime loaded, and Dovecot's auth processes break after a minute under it)."""

import os


def environment() -> dict[str, str]:
    return {
        name: value
        for name, value in os.environ.items()
        if name != "LD_PRELOAD" and not name.startswith("FAKETIME")
    }
