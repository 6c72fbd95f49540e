"""Argon2id password hashes (argon2-cffi's defaults follow RFC 9106's recommendation), off the event loop."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

AT_ONCE = 4  # each hash takes 64 MiB and a core for a moment: a burst of sign-ins waits its turn


class Passwords:
    def __init__(self) -> None:
        self.hasher = PasswordHasher()  # argon2id
        self.gate = asyncio.Semaphore(AT_ONCE)
        # verified against when the user name is unknown, so a wrong name costs as long as a wrong password
        self.decoy = self.hasher.hash("a password nobody has")

    async def hash(self, password: str) -> str:
        async with self.gate:
            return await asyncio.to_thread(self.hasher.hash, password)

    async def verify(self, stored: str | None, password: str) -> bool:
        def check() -> bool:
            try:
                return self.hasher.verify(stored or self.decoy, password) and stored is not None
            except (VerificationError, InvalidHashError):
                return False

        async with self.gate:
            return await asyncio.to_thread(check)
