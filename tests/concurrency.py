"""Run callables at the same moment against real PostgreSQL, each in its own thread and connection."""

import threading


def run_at_once(calls, timeout=60):
    """Each ``call()`` in its own thread, released together by a barrier; their results, in order. Any
    exception in a thread fails the test."""
    barrier = threading.Barrier(len(calls))
    results, errors = [None] * len(calls), []

    def run(index, call):
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            results[index] = call()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert errors == []
    return results
