"""E-mail as a channel: what comes in by mail becomes a ticket or a reply, once.

Every way mail reaches us (the IMAP fetcher, the providers' webhook, `manage.py
receive_email`) hands the raw message to `receive()`; nothing else turns mail into tickets.
"""

from .service import receive

__all__ = ["receive"]
