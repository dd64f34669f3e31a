"""The error every service raises when it turns a change away."""


class Refused(Exception):
    """A change a service turns away. `code` is what the page and the JSON API report;
    `field` names the form field the message belongs next to, when there is one."""

    def __init__(self, message: str, code: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field
