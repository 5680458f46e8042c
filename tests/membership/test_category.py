from app.accounts.models import MemberCategory
from app.extensions import db


def test_the_admin_form_no_longer_changes_the_category(people, client, login):
    member = people["member"]
    member.category = MemberCategory.ACTIVIST
    db.session.commit()
    login(people["admin"])
    url = f"/users/{member.id}/edit"
    page = client.get(url).get_data(as_text=True)
    assert "disabled" in page[page.find('name="category"') - 200 : page.find('name="category"') + 200]
    data = {
        "employee_no": member.employee_no,
        "name": "张三改",
        "mobile": member.mobile,
        "branch_id": member.branch_id,
        "category": "full",
        "roles": ["member"],
    }
    assert client.post(url, data=data).status_code == 302
    db.session.refresh(member)
    assert member.name == "张三改"
    assert member.category == MemberCategory.ACTIVIST
