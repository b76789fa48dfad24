"""The test run's password hasher (conftest.py puts it in place of Django's Argon2PasswordHasher)."""

from django.contrib.auth.hashers import Argon2PasswordHasher


class FastArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2id at the lowest cost argon2 accepts (1 pass, 8 KiB, 1 lane) instead of the
    production's (2 passes, 100 MiB, 8 lanes: about 0.2 s a hash). The algorithm name is the same
    ("argon2") and the cost is written in each hash, so the real hasher verifies these hashes too.

    >>> hasher = FastArgon2PasswordHasher()
    >>> hasher.verify("Secret-pass-2026", hasher.encode("Secret-pass-2026", hasher.salt()))
    True
    """

    time_cost = 1
    memory_cost = 8
    parallelism = 1
