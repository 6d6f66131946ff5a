"""The one exception type users see for bad input."""


class M2TError(ValueError):
    """Bad input or configuration, with a one-line message that says what to do.

    The CLI prints the message and exits with code 2; library callers can catch it.
    """
