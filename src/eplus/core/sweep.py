"""Periodic housekeeping, run by ``./run manage sweep`` (cron, or a scheduler at scale).

Each app that has periodic work provides ``eplus.<app>.sweep.sweep(now) -> dict`` returning counts of
what it did. Every sweeper must be idempotent: running the sweep twice does nothing twice.
"""

import importlib

from django.apps import apps


def sweepers():
    for config in apps.get_app_configs():
        if not config.name.startswith("eplus."):
            continue
        try:
            module = importlib.import_module(f"{config.name}.sweep")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.sweep":
                raise
            continue
        if module.__name__ != __name__ and hasattr(module, "sweep"):
            yield config.label, module.sweep


def run_sweep(now):
    from .files import sweep_pending_uploads
    from .outbox import retry_due

    return {"core": {**retry_due(now), **sweep_pending_uploads(now)}, **{label: fn(now) for label, fn in sweepers()}}
