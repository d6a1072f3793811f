"""Sending one e-mail through the SMTP settings of `[uptime]` (the availability alerts and the nightly digest share
them): SMTPS or STARTTLS, a login whose password comes from an environment variable, and never an exception: the
caller gets (sent, what was done or why not) and stores it."""

from __future__ import annotations

import os
import smtplib
import ssl
from email.message import EmailMessage

from siteaudit.core.config import UptimeConfig

SMTP_SECONDS = 30


def tls_context(u: UptimeConfig) -> ssl.SSLContext:
    """The system's trusted certificates, plus `uptime.ca_file` when set (an internal mail relay's CA)."""
    context = ssl.create_default_context()
    if u.ca_file:
        context.load_verify_locations(u.ca_file)
    return context


def send(u: UptimeConfig, message: EmailMessage) -> tuple[bool, str]:
    """Send `message` to its To: recipients; (True, the recipients) or (False, server and reason)."""
    try:
        if u.smtp_ssl:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(u.smtp_host, u.smtp_port, timeout=SMTP_SECONDS,
                                                  context=tls_context(u))
        else:
            smtp = smtplib.SMTP(u.smtp_host, u.smtp_port, timeout=SMTP_SECONDS)
        with smtp:
            if u.smtp_starttls:
                smtp.starttls(context=tls_context(u))
            if u.smtp_user:
                smtp.login(u.smtp_user, os.environ.get(u.smtp_password_env, ""))
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException, ssl.SSLError) as exc:
        return False, f"{u.smtp_host}:{u.smtp_port}: {exc or type(exc).__name__}"
    return True, str(message["To"])
