"""The members registry in the admin: roster, transfers, party applicants and tags.

Every write goes through `members.services`; every list and object through `for_user`
(ScopedAdmin). ID numbers and phones are masked on every page for everyone; showing
them in full is the explicit, logged "reveal" page.
"""

from members.admin import applicants, roster, transfers

__all__ = ["applicants", "roster", "transfers"]
