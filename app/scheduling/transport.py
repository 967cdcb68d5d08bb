"""Delivering a built email: over SMTP (one connection per batch) or into .eml files (development).

Failures are sorted into temporary (retry later: connection refused, timeouts, 4xx) and
permanent (give up: 5xx, an invalid address).
"""

import contextlib
import smtplib
import ssl
from email.message import Message
from pathlib import Path

from email_validator import EmailNotValidError, validate_email


class TemporaryFailure(Exception):
    def __init__(self, message: str, connection_lost: bool = False) -> None:
        super().__init__(message)
        self.connection_lost = connection_lost


class PermanentFailure(Exception):
    pass


def _classify(error: Exception) -> Exception:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in error.recipients.values()]
        text = "; ".join(f"{code} {msg.decode(errors='replace')}" for code, msg in error.recipients.values())
        if codes and min(codes) >= 500:
            return PermanentFailure(text)
        return TemporaryFailure(text, connection_lost=421 in codes)  # on a 421 smtplib closes the connection
    if isinstance(error, smtplib.SMTPResponseException):
        message = error.smtp_error.decode(errors="replace") if isinstance(error.smtp_error, bytes) else error.smtp_error
        if error.smtp_code >= 500:
            return PermanentFailure(f"{error.smtp_code} {message}")
        return TemporaryFailure(f"{error.smtp_code} {message}", connection_lost=error.smtp_code == 421)
    # Disconnects, refused connections, timeouts: the connection is unusable for the rest of the batch.
    return TemporaryFailure(f"{type(error).__name__}: {error}", connection_lost=True)


def check_address(address: str) -> None:
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError as error:
        raise PermanentFailure(f"invalid address {address!r}: {error}") from error


class SmtpTransport:
    def __init__(self, config) -> None:
        self.config = config
        self.connection: smtplib.SMTP | None = None

    def __enter__(self) -> "SmtpTransport":
        c = self.config
        try:
            if c["MAIL_USE_SSL"]:
                self.connection = smtplib.SMTP_SSL(c["MAIL_SERVER"], c["MAIL_PORT"], timeout=c["MAIL_TIMEOUT_SECONDS"],
                                                   context=ssl.create_default_context())
            else:
                self.connection = smtplib.SMTP(c["MAIL_SERVER"], c["MAIL_PORT"], timeout=c["MAIL_TIMEOUT_SECONDS"])
                if c["MAIL_USE_TLS"]:
                    self.connection.starttls(context=ssl.create_default_context())
            if c["MAIL_USERNAME"]:
                self.connection.login(c["MAIL_USERNAME"], c["MAIL_PASSWORD"])
        except (smtplib.SMTPException, OSError) as error:
            raise _classify(error) from error
        return self

    def send(self, message: Message) -> None:
        check_address(message["To"])
        try:
            self.connection.send_message(message)
        except (smtplib.SMTPException, OSError) as error:
            raise _classify(error) from error

    def __exit__(self, *exc) -> None:
        # The server may already be gone; every result is committed by then.
        with contextlib.suppress(smtplib.SMTPException, OSError):
            self.connection.quit()


class FileTransport:
    """Writes each message to <directory>/<Message-ID>.eml, so a demo needs no mail server."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def __enter__(self) -> "FileTransport":
        self.directory.mkdir(parents=True, exist_ok=True)
        return self

    def send(self, message: Message) -> None:
        check_address(message["To"])
        name = message["Message-ID"].strip("<>").replace("/", "_")
        (self.directory / f"{name}.eml").write_bytes(message.as_bytes())

    def __exit__(self, *exc) -> None:
        return None


def open_transport(app):
    if app.config["MAIL_BACKEND"] == "file":
        return FileTransport(Path(app.instance_path) / "mail")
    return SmtpTransport(app.config)
