"""Who may do what with accounts: everyone signed in manages their own account (nobody else's)."""

import rules

rules.add_perm("accounts.manage_own_account", rules.is_authenticated)
