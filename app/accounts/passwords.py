"""Password hashing (Argon2id), the password policy and one-time activation codes."""

import hashlib
import hmac
import re
import secrets
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import gettext as _

_hasher = PasswordHasher()
#: A hash of a password nobody knows: logins for unknown accounts are verified against it, so they
#: cost the same Argon2 work as real ones and timing tells nothing about which accounts exist.
_dummy_hash = _hasher.hash(secrets.token_urlsafe(16))
#: Key for activation-code hashes (derived from SECRET_KEY): a copied database alone cannot be
#: searched for the codes.
_code_key = b""


def init_app(app) -> None:
    """Argon2id with the library's recommended cost, or a cheaper one where the config asks (tests)."""
    global _hasher, _dummy_hash, _code_key
    _hasher = PasswordHasher(
        time_cost=app.config["ARGON2_TIME_COST"],
        memory_cost=app.config["ARGON2_MEMORY_COST_KIB"],
        parallelism=1,
    )
    _dummy_hash = _hasher.hash(secrets.token_urlsafe(16))
    _code_key = hmac.new(app.config["SECRET_KEY"].encode(), b"hongke activation codes", "sha256").digest()


MIN_LENGTH = 8


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check ``password``; with no hash (an unknown account) the same work is done against a dummy."""
    try:
        return _hasher.verify(password_hash or _dummy_hash, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords (lower case), see ``common_passwords.txt``."""
    text = (Path(__file__).with_name("common_passwords.txt")).read_text(encoding="utf-8")
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


def password_problem(
    password: str, *, employee_no: str | None = None, mobile: str | None = None
) -> str | None:
    """Why ``password`` is too weak, in Chinese, or ``None`` when it is acceptable.

    Besides length and character classes: not a common password, and not the member's own login
    names (工号, mobile), which anyone in the branch may know.
    """
    if len(password) < MIN_LENGTH:
        return _("密码至少 %(least)s 位", least=MIN_LENGTH)
    if not re.search(r"[A-Za-z]", password) or not re.search(r"\d", password):
        return _("密码须同时包含字母和数字")
    if len(password) > 128:
        return _("密码不能超过 128 位")
    lowered = password.lower()
    if lowered in common_passwords():
        return _("该密码过于常见，很容易被猜中，请换一个")
    employee_no = (employee_no or "").strip().lower()
    if employee_no and (lowered == employee_no or (len(employee_no) >= 4 and employee_no in lowered)):
        return _("密码不能包含您的工号")
    if mobile and mobile in password:
        return _("密码不能包含您的手机号")
    if mobile and len(mobile) >= 6 and mobile[-6:] in password:  # the old initial password
        return _("密码不能包含手机号的后六位")
    return None


# --- activation codes ---------------------------------------------------------------------------

#: No 0/O, 1/I/L: a code read off a printed slip is typed right the first time.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10
_CODE_RE = re.compile(f"[{CODE_ALPHABET}]{{{CODE_LENGTH}}}")


def new_activation_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def derived_activation_code(secret: str, subject: str) -> str:
    """A code derived from a per-import ``secret`` and a member: the import writes only its hash and
    the slip page derives it again once, after which the secret is erased."""
    digest = hmac.new(_code_key + secret.encode(), subject.encode(), hashlib.sha512).digest()
    return "".join(CODE_ALPHABET[b % len(CODE_ALPHABET)] for b in digest[:CODE_LENGTH])


def normalize_code(typed: str) -> str:
    """A code as typed (lower case, with spaces or dashes) in its canonical form."""
    return re.sub(r"[\s-]", "", typed).upper()


def looks_like_code(typed: str) -> bool:
    return bool(_CODE_RE.fullmatch(normalize_code(typed)))


def hash_activation_code(code: str) -> str:
    return hmac.new(_code_key, normalize_code(code).encode(), hashlib.sha256).hexdigest()


def activation_code_matches(code_hash: str | None, typed: str) -> bool:
    """Constant work whether or not there is a code to compare with."""
    expected = code_hash or "0" * 64
    return hmac.compare_digest(expected, hash_activation_code(typed)) and code_hash is not None
