"""Account operations. Callers own the transaction; every change is flushed and audited.

The package is split by responsibility (base, login, sessions, users, tokens), as records'
services are; the names below are re-exported for callers outside accounts (the API, courses,
media, tests).
"""

from app.accounts.services.base import (  # noqa: F401 -- re-exported
    EMPLOYEE_NO_RE,
    MOBILE_RE,
    SESSION_TOUCH_INTERVAL,
    WRONG_CREDENTIALS,
    AccountError,
    LoginPolicy,
    LoginRefused,
    TokenRefused,
    find_user_by_login,
    normalize_mobile,
)
from app.accounts.services.login import (  # noqa: F401 -- re-exported
    Secret,
    authenticate,
    purge_login_failures,
    reauthenticate,
)
from app.accounts.services.sessions import (  # noqa: F401 -- re-exported
    active_sessions,
    end_all_sessions,
    end_login_session,
    start_login_session,
    user_for_session,
)
from app.accounts.services.tokens import (  # noqa: F401 -- re-exported
    authenticate_api_token,
    issue_api_token,
    revoke_api_token,
)
from app.accounts.services.users import (  # noqa: F401 -- re-exported
    UserData,
    change_password,
    create_user,
    issue_activation_code,
    set_activation_code,
    set_care_mode,
    set_password,
    set_user_active,
    unlock_user,
    update_user,
)
