"""django-axes in front of the model backend, for sign-ins that come with a request."""

from axes.backends import AxesStandaloneBackend


class AxesBackend(AxesStandaloneBackend):
    """Checks the (account, address) lockout before any password is tried.

    A call without a request (a script, a management command) has no address to count
    against: it is left to the next backend instead of failing. Every sign-in form and API
    scheme here passes the request.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
