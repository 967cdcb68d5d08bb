"""The one base class of the errors an operation raises when the data does not allow it.

The message is German (shown to the user as it is); `field` names the form field it belongs to,
when there is one. Operations raise these before or after flushing; they never commit or roll
back: the request wrapper or `unit_of_work()` ends the transaction (app.transactions).
"""


class DomainError(Exception):
    def __init__(self, message, field: str | None = None) -> None:
        super().__init__(str(message))
        self.message = str(message)
        self.field = field
