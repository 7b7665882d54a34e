"""Former grab-bag of the applications app: the verbs now live in domain modules named for what they do
(``creation``, ``partners``, ``sharing``, ``sections``, ``statuses``, ``eligibility``, ``annexes``,
``submission``, ``snapshots``, ``incidents``, ``local_time``), permissions in ``rules``. What is left are
the names other apps still import from here."""

from .annexes import add_annex, check_file  # noqa: F401 - re-export for other apps until their imports are updated (issue 10)
from .creation import create_application  # noqa: F401 - re-export for other apps until their imports are updated (issue 10)
from .eligibility import call_rules, eligibility_input, other_applications  # noqa: F401 - re-export for other apps until their imports are updated (issue 10)
from .partners import add_participant  # noqa: F401 - re-export for other apps until their imports are updated (issue 10)
from .rules import has_level  # noqa: F401 - re-export for other apps until their imports are updated (issue 10)
from .sections import save_section  # noqa: F401 - re-export for other apps until their imports are updated (issue 10)
from .sharing import share  # noqa: F401 - re-export for other apps until their imports are updated (issue 10)
from .snapshots import sha256_of  # noqa: F401 - re-export for other apps until their imports are updated (issue 10)
