"""Exception classes with the same names, bases and ``http_status_code`` as frappe/exceptions.py (v15)."""

# ruff: noqa: A001, N818


class SiteNotSpecifiedError(Exception):
    def __init__(self, *args, **kwargs):
        self.message = "Please specify --site sitename"
        super(Exception, self).__init__(self.message)


class UrlSchemeNotSupported(Exception):
    pass


class ValidationError(Exception):
    http_status_code = 417


class FrappeTypeError(TypeError):
    http_status_code = 417


class AuthenticationError(Exception):
    http_status_code = 401


class SessionExpired(Exception):
    http_status_code = 401


class PermissionError(Exception):  # noqa: A001 - same name as frappe's
    http_status_code = 403


class DoesNotExistError(ValidationError):
    http_status_code = 404

    def __init__(self, *args, doctype=None):
        super().__init__(*args)
        self.doctype = doctype


class PageDoesNotExistError(ValidationError):
    http_status_code = 404


class NameError(Exception):  # noqa: A001 - same name as frappe's
    http_status_code = 409


class OutgoingEmailError(Exception):
    http_status_code = 501


class SessionStopped(Exception):
    http_status_code = 503


class UnsupportedMediaType(Exception):
    http_status_code = 415


class RequestToken(Exception):
    http_status_code = 499


class Redirect(Exception):
    http_status_code = 301


class CSRFTokenError(Exception):
    http_status_code = 400


class TooManyRequestsError(Exception):
    http_status_code = 429


class ImproperDBConfigurationError(Exception):
    pass


class DuplicateEntryError(NameError):
    pass


class DataError(ValidationError):
    pass


class UnknownDomainError(Exception):
    pass


class MappingMismatchError(ValidationError):
    pass


class InvalidStatusError(ValidationError):
    pass


class MandatoryError(ValidationError):
    pass


class NonNegativeError(ValidationError):
    pass


class InvalidSignatureError(ValidationError):
    pass


class RateLimitExceededError(ValidationError):
    pass


class CannotChangeConstantError(ValidationError):
    pass


class CharacterLengthExceededError(ValidationError):
    pass


class UpdateAfterSubmitError(ValidationError):
    pass


class LinkValidationError(ValidationError):
    pass


class CancelledLinkError(LinkValidationError):
    pass


class DocstatusTransitionError(ValidationError):
    pass


class TimestampMismatchError(ValidationError):
    pass


class EmptyTableError(ValidationError):
    pass


class LinkExistsError(ValidationError):
    pass


class InvalidEmailAddressError(ValidationError):
    pass


class InvalidNameError(ValidationError):
    pass


class InvalidPhoneNumberError(ValidationError):
    pass


class TemplateNotFoundError(ValidationError):
    pass


class UniqueValidationError(ValidationError):
    pass


class AppNotInstalledError(ValidationError):
    pass


class IncorrectSitePath(Exception):
    http_status_code = 404


class ImplicitCommitError(ValidationError):
    pass


class RetryBackgroundJobError(Exception):
    pass


class DocumentLockedError(ValidationError):
    pass


class CircularLinkingError(ValidationError):
    pass


class SecurityException(Exception):
    pass


class InvalidColumnName(ValidationError):
    pass


class IncompatibleApp(ValidationError):
    pass


class InvalidDates(ValidationError):
    pass


class DataTooLongException(ValidationError):
    pass


class FileAlreadyAttachedException(Exception):
    pass


class DocumentAlreadyRestored(ValidationError):
    pass


class AttachmentLimitReached(ValidationError):
    pass


class QueryTimeoutError(Exception):
    pass


class QueryDeadlockError(Exception):
    pass


class TooManyWritesError(Exception):
    pass


class InReadOnlyMode(ValidationError):
    http_status_code = 503


class SessionBootFailed(ValidationError):
    http_status_code = 500


class PrintFormatError(ValidationError):
    pass


class InvalidAuthorizationHeader(CSRFTokenError):
    pass


class InvalidAuthorizationPrefix(CSRFTokenError):
    pass


class InvalidAuthorizationToken(CSRFTokenError):
    pass


class InvalidDatabaseFile(ValidationError):
    pass


class ExecutableNotFound(FileNotFoundError):
    pass


class InvalidRemoteException(Exception):
    pass


class LinkExpired(ValidationError):
    http_status_code = 410


class InvalidKeyError(ValidationError):
    http_status_code = 401


class CommandFailedError(Exception):
    pass


# --- stand-in only -----------------------------------------------------------------------------
class StandinStrictError(AssertionError):
    """Raised where real Frappe would silently misbehave (or where the stand-in lacks a schema).

    Deliberately *not* a ValidationError: app code catching ``frappe.ValidationError`` must not hide it.
    """


class UnknownFieldError(StandinStrictError):
    pass


class MissingSchemaError(StandinStrictError):
    pass


class StrictTypeError(StandinStrictError):
    pass


class SchemaError(StandinStrictError):
    pass
