from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """A staff account; where it sits in the organisation is recorded by staff postings."""

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        verbose_name = "用户"
        verbose_name_plural = "用户"
