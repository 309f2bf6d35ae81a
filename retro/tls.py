"""The certificate ``make share`` serves HTTPS with: the user's own (RETRO_TLS_CERT / RETRO_TLS_KEY), or
one made on first use for this machine's LAN address, kept in the data folder (``data/tls/``,
gitignored) and made again when the address changes or it is about to expire.

Self-signed, so each browser asks once whether to trust it; colleagues compare the SHA-256
fingerprint ``make share`` prints with the one the browser shows (README, "Sharing"). Plain Python
(the ``cryptography`` package, pinned in requirements.txt; Authlib needs it too).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

DAYS = 397  # what browsers accept for a server certificate
RENEW_DAYS = 14


def fingerprint(cert_path: Path) -> str:
    """The certificate's SHA-256 fingerprint as browsers show it (AB:CD:…)."""
    cert = x509.load_pem_x509_certificate(Path(cert_path).read_bytes())
    return ":".join(f"{b:02X}" for b in cert.fingerprint(hashes.SHA256()))


def _fits(cert_path: Path, address: str, now: dt.datetime) -> bool:
    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (OSError, ValueError, x509.ExtensionNotFound):
        return False
    ips = {str(ip) for ip in names.get_values_for_type(x509.IPAddress)}
    return address in ips and cert.not_valid_after_utc - now > dt.timedelta(days=RENEW_DAYS)


def certificate(folder: Path, address: str, *, now: dt.datetime | None = None) -> tuple[Path, Path]:
    """(cert, key) for ``address`` in ``folder``: the one there when it still fits, else a new one
    (EC P-256, valid for the address, 127.0.0.1 and localhost). The key file is readable by its owner only."""
    now = now or dt.datetime.now(dt.UTC)
    folder = Path(folder)
    cert_path, key_path = folder / "retro-cert.pem", folder / "retro-key.pem"
    if key_path.exists() and _fits(cert_path, address, now):
        return cert_path, key_path
    folder.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"retro {address}")])
    alt = [x509.IPAddress(ipaddress.ip_address(a)) for a in dict.fromkeys([address, "127.0.0.1"])]
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=DAYS))
            .add_extension(x509.SubjectAlternativeName([*alt, x509.DNSName("localhost")]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(key, hashes.SHA256()))
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path
