"""The vendor's SSH certificate authority, through OpenSSH's own `ssh-keygen`: user certificates valid only for
a grant's hosts (as principals) and window, and the key revocation list (KRL) the hospital's hosts fetch.

The private key never leaves this service; hosts trust its public half (`TrustedUserCAKeys`) and read the KRL
(`RevokedKeys`), so a grant ended early stops working as soon as a host has the new list."""

from __future__ import annotations

import asyncio
import tempfile
from datetime import UTC, datetime
from pathlib import Path

KEY_COMMENT = "pacs-service-ops remote-access CA"


class SigningFailed(RuntimeError):
    pass


async def _run(*argv: str) -> bytes:
    process = await asyncio.create_subprocess_exec(*argv, stdout=asyncio.subprocess.PIPE,
                                                   stderr=asyncio.subprocess.PIPE)  # fmt: skip
    out, err = await process.communicate()
    if process.returncode != 0:
        raise SigningFailed(f"{Path(argv[0]).name} failed: {err.decode(errors='replace').strip()[:300]}")
    return out


def _stamp(moment: datetime) -> str:
    """ssh-keygen's validity time, in UTC."""
    return moment.astimezone(UTC).strftime("%Y%m%d%H%M%SZ")


class CertificateAuthority:
    def __init__(self, key_path: Path) -> None:
        self.key_path = key_path
        self._creating = asyncio.Lock()

    async def ensure_key(self) -> None:
        """Create the CA's key on first use (ed25519, no passphrase: the file's permissions guard it). Instances
        that share a key mount it at `ACCESS_CA_KEY_PATH`."""
        async with self._creating:
            if self.key_path.exists():
                return
            self.key_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            await _run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", KEY_COMMENT, "-f", str(self.key_path))

    async def public_key(self) -> str:
        await self.ensure_key()
        text = await asyncio.to_thread(Path(f"{self.key_path}.pub").read_text)
        return text.strip()

    async def sign(self, public_key: str, identity: str, principals: list[str], valid_from: datetime,
                   valid_until: datetime, serial: int) -> str:  # fmt: skip
        """An OpenSSH user certificate for `public_key`."""
        await self.ensure_key()
        with tempfile.TemporaryDirectory(prefix="pacs-ca-") as work:
            key = Path(work) / "engineer.pub"
            key.write_text(public_key + "\n")
            await _run("ssh-keygen", "-q", "-s", str(self.key_path), "-I", identity, "-n", ",".join(principals),
                       "-V", f"{_stamp(valid_from)}:{_stamp(valid_until)}", "-z", str(serial),
                       "-O", "no-x11-forwarding", "-O", "no-agent-forwarding", str(key))  # fmt: skip
            return (Path(work) / "engineer-cert.pub").read_text().strip()

    async def revocation_list(self, serials: list[int]) -> bytes:
        """The KRL revoking these serials of this CA's certificates (an empty list revokes nothing)."""
        await self.ensure_key()
        with tempfile.TemporaryDirectory(prefix="pacs-krl-") as work:
            spec, krl = Path(work) / "revoked.txt", Path(work) / "revoked.krl"
            spec.write_text("".join(f"serial: {serial}\n" for serial in sorted(set(serials))))
            await _run("ssh-keygen", "-q", "-k", "-f", str(krl), "-s", f"{self.key_path}.pub", str(spec))
            return krl.read_bytes()
