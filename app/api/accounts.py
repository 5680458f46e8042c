from flask_login import current_user

from app.accounts.models import User
from app.api import bp, ok
from app.org.services import get_member_for


def user_json(user: User) -> dict:
    return {
        "id": user.id,
        "employee_no": user.employee_no,
        "name": user.name,
        "gender": user.gender.value if user.gender else None,
        "mobile": user.mobile,
        "branch": {"id": user.branch.id, "name": user.branch.name} if user.branch else None,
        "category": user.category.value if user.category else None,
        "joined_party_on": user.joined_party_on.isoformat() if user.joined_party_on else None,
        "position": user.position.value if user.position else None,
        "roles": sorted(r.value for r in user.roles),
    }


@bp.get("/me")
def me():
    return ok(user_json(current_user))


@bp.get("/users/<int:user_id>")
def get_user(user_id: int):
    return ok(user_json(get_member_for(user_id, current_user)))
