"""Enrolment errors.

HTTP: subclasses of the shared ``DomainError`` family (the transport maps ``http_status``/``code``).
Step Functions: the task errors' class names are what ``statemachines/enrolment.asl.json``
matches in ``Retry``/``Catch`` -- keep the names and the ASL in step.
"""

from __future__ import annotations

from einvoice.errors import ConflictError, ErrorDetail, InvalidInputError, TransientError


# --- API (confirm / resend) -----------------------------------------------------------------
class OtpInvalidError(InvalidInputError):
    """Wrong (or malformed) code; ``details[0].extra['remainingAttempts']`` says how many are left."""

    code = "OtpInvalid"

    def __init__(self, remaining_attempts: int) -> None:
        super().__init__(
            "The one-time password is wrong",
            [
                ErrorDetail(
                    "The one-time password is wrong",
                    field="code",
                    rule="OTP_INVALID",
                    message_fr="Le code à usage unique est erroné",
                    extra={"remainingAttempts": remaining_attempts},
                )
            ],
        )
        self.remaining_attempts = remaining_attempts


class OtpExpiredError(ConflictError):
    """The current code is older than 10 minutes: ask for a new one (resend)."""

    code = "OtpExpired"

    def __init__(self) -> None:
        super().__init__(
            "The one-time password has expired; request a new one",
            [
                ErrorDetail(
                    "The one-time password has expired; request a new one",
                    field="code",
                    rule="OTP_EXPIRED",
                    message_fr="Le code à usage unique a expiré ; demandez-en un nouveau",
                )
            ],
        )


class EnrolmentStateError(ConflictError):
    """The enrolment's state forbids the operation (LOCKED, EXPIRED, FAILED, already confirmed...)."""

    code = "EnrolmentState"

    def __init__(self, state: str, message: str, message_fr: str, rule: str = "ENROLMENT_STATE") -> None:
        super().__init__(message, [ErrorDetail(message, field="state", rule=rule, message_fr=message_fr,
                                               extra={"state": state})])
        self.state = state


class OtpLockedError(EnrolmentStateError):
    """Too many wrong codes: the enrolment is LOCKED and must be restarted.

    Also the error name sent to the state machine with ``SendTaskFailure`` (ASL ``Catch``).
    """

    code = "EnrolmentLocked"

    def __init__(self) -> None:
        super().__init__(
            "LOCKED",
            "Too many wrong one-time passwords: the enrolment is locked; start a new one",
            "Trop de codes erronés : l'enrôlement est verrouillé ; recommencez-le",
            rule="OTP_LOCKED",
        )


class ResendLimitError(EnrolmentStateError):
    code = "OtpResendLimit"

    def __init__(self) -> None:
        super().__init__(
            "OTP_SENT",
            "A one-time password can be resent at most 3 times",
            "Le code à usage unique ne peut être renvoyé que 3 fois",
            rule="OTP_RESEND_LIMIT",
        )


# --- state machine tasks --------------------------------------------------------------------
class DirectoryTransientError(TransientError):
    """The directory could not be updated now (timeout, throttling, 5xx): ASL retries this name."""


class DirectoryRejectedError(Exception):
    """The directory refused the line for good (unknown SIREN, closed company...): reported per company."""


class EnrolmentTaskError(Exception):
    """A task found the enrolment in a state it cannot work on (ASL ``Catch`` -> FAILED)."""


class NothingRegisteredError(Exception):
    """No company of the enrolment got its directory line: no certificate (ASL ``Catch`` -> FAILED)."""


class MailDeliveryError(TransientError):
    """SES refused or could not take the OTP mail now (ASL retries the send task)."""
