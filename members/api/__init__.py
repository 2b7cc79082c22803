"""The members registry over REST: scoped, masked, and written only through the services.

ID numbers and phones are masked in every response unless the user may view sensitive
data; a response that does carry them in full leaves one entry in the access log.
"""

from members.api import views

__all__ = ["views"]
