"""E-mail delivery over SMTP (aiosmtplib): plain text, one message per recipient."""

from email.message import EmailMessage

import aiosmtplib

from services.notify.settings import NotifySettings


async def send_mail(settings: NotifySettings, to: str, subject: str, text: str) -> str:
    """Sends one message; raises on failure. Returns the server's reply for the log."""
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = to
    message["Subject"] = subject
    message.set_content(text)
    _errors, reply = await aiosmtplib.send(
        message,
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        username=settings.smtp_username,
        password=settings.smtp_password,
        start_tls=settings.smtp_starttls,
        timeout=10,
    )
    return reply[:200]
