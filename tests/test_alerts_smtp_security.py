"""The relay connection: STARTTLS with login, implicit TLS, and what a misconfiguration says.

The STARTTLS relay is aiosmtpd with a certificate made for the test; the sending command line runs
in a child process that trusts it through SSL_CERT_FILE, as a deployment with a private CA would.
"""

from __future__ import annotations

import datetime
import ipaddress
import ssl

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from tests.alerts_fixtures import DOCS, Collector, Relay, add_documents, free_port, smtp_overrides
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from alerts.digest import sender_address
from alerts.mailer import Mailer, RelayUnavailable
from tests.conftest import make_settings, run_cli
from index.store import Store
from parallax.errors import ConfigError


def make_certificate(directory):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "relay.pem", directory / "relay.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def check_login(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == b"parallax" and auth_data.password == b"s3cret"
    return AuthResult(success=ok, handled=False)  # not handled: the relay answers 535 itself


@pytest.fixture
def tls_relay(tmp_path):
    cert, key = make_certificate(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    handler = Collector()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, tls_context=context,
                            require_starttls=True, authenticator=check_login, auth_required=True)
    controller.start()
    yield port, cert, handler
    controller.stop()


def starttls_env(data_dir, port, cert, password):
    return {"PARALLAX_DATA_DIR": str(data_dir), "PARALLAX_SMTP_HOST": "127.0.0.1",
            "PARALLAX_SMTP_PORT": str(port), "PARALLAX_SMTP_SECURITY": "starttls",
            "PARALLAX_SMTP_USERNAME": "parallax", "PARALLAX_SMTP_PASSWORD": password,
            "PARALLAX_SMTP_SENDER": "alerts@parallax.example.org", "SSL_CERT_FILE": str(cert)}


def test_starttls_with_login_delivers_and_a_wrong_password_is_a_clear_error(tmp_path, tls_relay):
    port, cert, handler = tls_relay
    settings = make_settings(tmp_path / "data")
    with Store.open(settings) as store:
        add_documents(store, settings, DOCS["zh"])
    wrong = starttls_env(settings.data_dir, port, cert, "wrong")
    assert run_cli("alerts", "add", "wg", "--query", "出口管制", "--to", "a@example.org",
                   env=wrong).returncode == 0
    refused = run_cli("alerts", "run", env=wrong)
    assert refused.returncode == 1
    assert "refused the login for 'parallax'" in refused.stderr and "PARALLAX_SMTP_PASSWORD" in refused.stderr
    assert "wrong" not in refused.stderr.replace("PARALLAX", "")  # the password is never printed
    sent = run_cli("alerts", "run", env=starttls_env(settings.data_dir, port, cert, "s3cret"))
    assert sent.returncode == 0, sent.stderr
    assert len(handler.envelopes) == 1


def test_implicit_tls_against_a_plain_relay_says_what_to_check(tmp_path):
    """Tried: security = tls against a relay that speaks plain SMTP."""
    with Relay() as relay:
        settings = make_settings(tmp_path / "data", **{**smtp_overrides(relay.port), "smtp.security": "tls"})
        with Mailer(settings.smtp) as mailer, pytest.raises(RelayUnavailable, match="PARALLAX_SMTP_SECURITY"):
            mailer.send(_message(), "a@example.org")
    assert relay.handler.envelopes == []


def test_starttls_against_a_relay_without_it_says_what_to_check(tmp_path):
    """Tried: security = starttls against a relay that does not offer STARTTLS."""
    with Relay() as relay:
        settings = make_settings(tmp_path / "data", **{**smtp_overrides(relay.port), "smtp.security": "starttls"})
        with Mailer(settings.smtp) as mailer, pytest.raises(RelayUnavailable, match="does not support"):
            mailer.send(_message(), "a@example.org")
    assert relay.handler.envelopes == []


@pytest.mark.parametrize("sender", ["", "not an address", "Parallax <alerts@example.org>\r\nBcc: x@example.org"])
def test_bad_sender_setting_is_a_config_error(sender):
    """Tried: an empty sender, words without an address, and a sender carrying a second header."""
    with pytest.raises(ConfigError, match="PARALLAX_SMTP_SENDER"):
        sender_address(sender)


def _message():
    from email.message import EmailMessage

    msg = EmailMessage()
    msg["From"] = "alerts@parallax.example.org"
    msg["To"] = "a@example.org"
    msg["Subject"] = "test"
    msg.set_content("body")
    return msg
