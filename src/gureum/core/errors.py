"""GureumError: an HTTP status plus a message template, raised anywhere, rendered once."""

from __future__ import annotations

from typing import Any


class GureumError(Exception):
    status = 500
    title = "Internal Server Error"
    message = "An unexpected error prevented the server from fulfilling your request."

    def __init__(self, message: str | None = None, **kwargs: Any) -> None:
        self.kwargs = kwargs
        template = message if message is not None else self.message
        try:
            self.text = template.format(**kwargs)
        except (KeyError, IndexError):
            self.text = template
        self.headers: dict[str, str] = {}
        super().__init__(self.text)

    @property
    def kind(self) -> str:
        """The class name, which neutron shows as the error `type`."""
        return type(self).__name__


class BadRequest(GureumError):
    status = 400
    title = "Bad Request"
    message = "The request you have made is invalid."


class ValidationError(BadRequest):
    message = "Invalid input: {detail}"


class Unauthorized(GureumError):
    status = 401
    title = "Unauthorized"
    message = "The request you have made requires authentication."


class Forbidden(GureumError):
    status = 403
    title = "Forbidden"
    message = "You are not authorized to perform the requested action."


class PolicyNotAuthorized(Forbidden):
    message = "You are not authorized to perform the requested action: {rule}."


class NotFound(GureumError):
    status = 404
    title = "Not Found"
    message = "The resource could not be found."


class MethodNotAllowed(GureumError):
    status = 405
    title = "Method Not Allowed"
    message = "The method is not allowed for the requested URL."


class NotAcceptable(GureumError):
    status = 406
    title = "Not Acceptable"
    message = ("Version {version} is not supported by the API. Minimum is {min} and maximum "
               "is {max}.")


class Conflict(GureumError):
    status = 409
    title = "Conflict"
    message = "The request conflicts with the current state of the resource."


class PayloadTooLarge(GureumError):
    status = 413
    title = "Request Entity Too Large"
    message = "The request is larger than the server is willing to process."


class RangeNotSatisfiable(GureumError):
    status = 416
    title = "Requested Range Not Satisfiable"
    message = "Requested range not satisfiable."


class UnsupportedMediaType(GureumError):
    status = 415
    title = "Unsupported Media Type"
    message = "The request media type {media_type} is not supported."


class NotImplementedYet(GureumError):
    status = 501
    title = "Not Implemented"
    message = "The action you have requested has not been implemented."
