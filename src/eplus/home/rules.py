"""The dashboard: every signed-in person has one (what it lists is filtered by each app's rules)."""

import rules

rules.add_perm("home.view_dashboard", rules.is_authenticated)
