"""Actions released at the same moment, each on its own database connection."""

import threading

from django.db import close_old_connections, connection


def race(*actions):
    """Run each action in its own thread (so its own database connection), released together.

    Returns what each returned or raised, in order.
    """
    barrier = threading.Barrier(len(actions))
    results: list = [None] * len(actions)

    def run(index, action):
        try:
            barrier.wait(timeout=10)
            results[index] = action()
        except Exception as error:
            results[index] = error
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results
