"""Who may do what with the programme's reference data (``rules`` predicates).

The app's permissions live here rather than in ``rules.py`` because ``eplus.programme.rules`` is the
eligibility engine's package; :class:`~eplus.programme.apps.ProgrammeConfig` registers them at start-up.

- agency administrators (an active ``admin`` membership of any agency): confirm or correct the figures
  the data marks "verify" (:mod:`eplus.programme.verification`); they see every call's list, since the
  calls' rules are the programme's, not one agency's.
"""

import rules

from .scoping import agency_roles


@rules.predicate
def is_agency_administrator(user):
    from .models import AgencyMembership

    return any(role == AgencyMembership.Role.ADMIN for _agency, role in agency_roles(user))


rules.add_perm("programme.verify_figures", is_agency_administrator)
