"""Periodic work of the evaluation app, run by ``./run manage sweep`` (idempotent): the cases of every
deadline that has passed are opened, each with its stored eligibility verdict (see :mod:`.cases`)."""

from .cases import open_cases


def sweep(now):
    return {"cases_opened": len(open_cases(now))}
