"""What django-axes records of a failed login."""

from axes.models import AccessAttempt

USERNAME_LENGTH = AccessAttempt._meta.get_field("username").max_length


def attempted_username(request, credentials=None) -> str | None:
    """The user name a login tried, cut to the attempt log's column.

    No account has a name that long (Django allows 150 characters), so a longer one is a
    probe: it fails like any wrong name and counts against the name it was cut to.
    """
    data = credentials if credentials else getattr(request, "data", request.POST)
    username = data.get("username")
    if isinstance(username, str):
        return username[:USERNAME_LENGTH]
    return username
