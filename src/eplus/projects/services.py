"""The verbs of the beneficiary module now live in named modules (issue 10): :mod:`.creation`,
:mod:`.reports`, :mod:`.payments`, :mod:`.amendments`, :mod:`.people`, :mod:`.dossier`, :mod:`.calendar`,
:mod:`.exports`, with the reads in :mod:`.queries` and the permissions in :mod:`.rules`. Only the name
other apps still import from here remains."""

from .creation import create_project  # re-export for other apps until their imports are updated (issue 10)

__all__ = ["create_project"]
