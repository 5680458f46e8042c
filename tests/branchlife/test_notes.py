"""组织生活会: each member writes their self-criticism, the secretary records criticism raised; a
member reads only their own, the secretary all of them; finalising closes them."""

import sqlalchemy as sa

from app.branchlife.models import LifeMeetingNote
from app.extensions import db
from tests.branchlife.test_flow import plan


def test_criticism_and_self_criticism_per_member(client, login, people, org_tree, clock):
    meeting = plan(client, login, people, org_tree, clock, kind="life_meeting", topic="年度组织生活会")
    url = f"/branchlife/meetings/{meeting.id}/notes"
    login(people["x"])
    assert client.post(url, data={"text": "理论学习不够系统"}).status_code == 302
    client.post("/logout")
    login(people["y"])
    client.post(url, data={"text": "联系群众不够"})
    assert "理论学习不够系统" not in client.get(f"/branchlife/meetings/{meeting.id}").get_data(as_text=True)
    client.post("/logout")
    login(people["other_member"])
    assert client.post(url, data={"text": "冒名"}).status_code == 403
    client.post("/logout")
    login(people["secretary"])
    client.post(url, data={"member": people["x"].id, "text": "发言准备不充分"})
    page = client.get(f"/branchlife/meetings/{meeting.id}").get_data(as_text=True)
    assert "理论学习不够系统" in page
    assert "联系群众不够" in page
    assert "发言准备不充分" in page
    notes = {n.user_id: n for n in db.session.scalars(sa.select(LifeMeetingNote))}
    assert notes[people["x"].id].self_criticism == "理论学习不够系统"
    assert notes[people["x"].id].criticism == "发言准备不充分"
    assert len(notes) == 2


def test_notes_only_at_a_life_meeting(client, login, people, org_tree, clock):
    meeting = plan(client, login, people, org_tree, clock)  # a 支委会
    login(people["x"])
    client.post(f"/branchlife/meetings/{meeting.id}/notes", data={"text": "自我批评"})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LifeMeetingNote)) == 0
