"""Who may use the registry: accounts and roles, the password policy, server-side sessions and
API tokens, the login limiter, and the ``psoreg users`` / ``psoreg audit`` commands.

* :mod:`~psoreg.accounts.passwords` -- argon2 hashes and the password policy (zxcvbn).
* :mod:`~psoreg.accounts.users` -- create, deactivate, reset, change role, log in (audited).
* :mod:`~psoreg.accounts.sessions` -- browser sessions and API tokens held in the database.
* :mod:`~psoreg.accounts.limiter` -- the persistent login limiter.
* :mod:`~psoreg.accounts.cli` -- ``psoreg users …`` and ``psoreg audit verify``.
"""
