"""Who sees what: a coordinator their subtree only (pages, export, API), a member their own 党支部's
published result only, the committee everything; manual scores need a comment and evidence."""

import io

import pytest
from openpyxl import load_workbook

from app.assessment import services
from app.assessment.models import ManualScore
from app.extensions import db
from tests.assessment.conftest import PDF
from tests.helpers import count


def publish(world):
    admin = world["people"]["admin"]
    services.freeze_scheme(admin, world["scheme"])
    services.publish_scheme(admin, world["scheme"])
    db.session.commit()


def score_body(indicator, points="12", comment="有特色", evidence=(PDF, "材料.pdf")):
    body = {f"s{indicator.id}-points": points, f"s{indicator.id}-comment": comment}
    if evidence is not None:
        body[f"s{indicator.id}-evidence"] = (io.BytesIO(evidence[0]), evidence[1])
    return body


def test_a_coordinator_sees_only_their_subtree(world, client, login):
    scheme, t = world["scheme"], world["tree"]
    login(world["people"]["other_coordinator"])  # 生产党总支
    page = client.get(f"/assessment/{scheme.id}/scores")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "生产运行党支部" in html
    assert "机关第一党支部" not in html
    assert client.get(f"/assessment/{scheme.id}/branches/{t['a1'].id}").status_code == 403
    assert client.get(f"/assessment/{scheme.id}/scores?branch_id={t['a'].id}").status_code == 403
    assert client.get(f"/assessment/{scheme.id}/scores.xlsx?branch_id={t['a1'].id}").status_code == 403
    assert client.get(f"/api/v1/assessments/{scheme.id}/scores?branch_id={t['a1'].id}").status_code == 403
    assert client.get(f"/api/v1/assessments/{scheme.id}/scores?branch_id=abc").status_code == 404
    api = client.get(f"/api/v1/assessments/{scheme.id}/scores").get_json()["data"]
    assert {b["id"] for b in api["branches"]} == {t["b"].id, t["b1"].id, t["b2"].id}


def test_the_export_holds_the_subtree_only(world, client, login):
    scheme = world["scheme"]
    login(world["people"]["coordinator"])  # 机关党总支
    response = client.get(f"/assessment/{scheme.id}/scores.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("组织", "层级", "党员数")
    assert [r[0].strip("\u3000") for r in rows[1:]] == ["机关党总支", "机关第一党支部", "机关第二党支部"]
    assert rows[0][3:] == ("学时达标", "通知回执", "三会一课", "特色工作", "总分")


@pytest.mark.parametrize("role", ["m1", "trainer"])
def test_members_see_nothing_before_publishing(world, client, login, role):
    scheme, t = world["scheme"], world["tree"]
    login(world["people"][role])
    assert client.get(f"/assessment/{scheme.id}").status_code == 403
    assert client.get(f"/assessment/{scheme.id}/scores").status_code == 403
    assert client.get(f"/assessment/{scheme.id}/scores.xlsx").status_code == 403
    assert client.get(f"/api/v1/assessments/{scheme.id}/scores").status_code == 403
    assert client.get("/api/v1/assessments").get_json()["data"] == []
    assert client.get(f"/assessment/{scheme.id}/branches/{t['a1'].id}").status_code == 403


def test_a_member_sees_their_own_branch_once_published(world, client, login):
    scheme, t = world["scheme"], world["tree"]
    publish(world)
    login(world["people"]["m1"])
    assert (
        client.get(f"/assessment/{scheme.id}")
        .headers["Location"]
        .endswith(f"/assessment/{scheme.id}/branches/{t['a1'].id}")
    )
    page = client.get(f"/assessment/{scheme.id}/branches/{t['a1'].id}")
    assert page.status_code == 200
    assert "学时达标" in page.get_data(as_text=True)
    assert client.get(f"/assessment/{scheme.id}/branches/{t['a2'].id}").status_code == 403
    assert client.get(f"/api/v1/assessments/{scheme.id}/scores?branch_id={t['a2'].id}").status_code == 403
    mine = client.get(f"/api/v1/assessments/{scheme.id}/scores").get_json()["data"]["branches"]
    assert [b["id"] for b in mine] == [t["a1"].id]
    assert [s["id"] for s in client.get("/api/v1/assessments").get_json()["data"]] == [scheme.id]


def test_only_the_committee_defines_freezes_and_adjusts(world, client, login):
    scheme, t = world["scheme"], world["tree"]
    hours = world["indicators"]["hours"]
    login(world["people"]["coordinator"])
    assert client.post("/assessment/", data={"name": "x", "year": 2026, "half": "0"}).status_code == 403
    assert client.post(f"/assessment/{scheme.id}/freeze").status_code == 403
    url = f"/assessment/{scheme.id}/branches/{t['a1'].id}/indicators/{hours.id}/adjust"
    assert client.post(url, data={f"a{hours.id}-delta": "3", f"a{hours.id}-reason": "x"}).status_code == 403
    db.session.refresh(scheme)
    assert scheme.status == "running"
    client.post("/logout")
    login(world["people"]["admin"])
    assert client.post(f"/assessment/{scheme.id}/bogus").status_code == 404  # was a KeyError: 500
    db.session.refresh(scheme)
    assert scheme.status == "running"


def test_a_manual_score_needs_a_comment_evidence_and_a_branch_in_scope(world, client, login):
    scheme, t = world["scheme"], world["tree"]
    manual, hours = world["indicators"]["manual"], world["indicators"]["hours"]
    login(world["people"]["coordinator"])

    def post(branch, indicator, **body):
        return client.post(
            f"/assessment/{scheme.id}/branches/{branch.id}/indicators/{indicator.id}/score",
            data=score_body(indicator, **body),
            content_type="multipart/form-data",
        )

    for body, message in (
        ({"comment": ""}, "请填写评语"),
        ({"evidence": None}, "请上传佐证材料"),
        ({"evidence": (b"MZ\x90\x00 not a document", "a.exe")}, "佐证材料只接受"),
        ({"points": "25"}, "数值应在"),
        ({"points": "NaN"}, "数值应在"),
        ({"points": "很多"}, "请填写数字"),
    ):
        response = post(t["a1"], manual, **body)
        assert response.status_code == 422, body
        assert message in response.get_data(as_text=True)
    assert post(t["a1"], hours).status_code == 422  # computed: no one scores it by hand
    assert post(t["b1"], manual).status_code == 403  # another 总支's branch
    assert count(ManualScore) == 0
    assert post(t["a1"], manual).status_code == 302
    score = db.session.query(ManualScore).one()
    assert score.comment == "有特色"
    evidence = client.get(f"/assessment/{scheme.id}/evidence/{score.id}")
    assert evidence.status_code == 200
    assert evidence.data == PDF
    client.post("/logout")
    login(world["people"]["other_coordinator"])
    assert client.get(f"/assessment/{scheme.id}/evidence/{score.id}").status_code == 403


def test_a_frozen_scheme_takes_no_more_manual_scores(world, client, login):
    scheme, t = world["scheme"], world["tree"]
    manual = world["indicators"]["manual"]
    services.freeze_scheme(world["people"]["admin"], scheme)
    db.session.commit()
    login(world["people"]["coordinator"])
    response = client.post(
        f"/assessment/{scheme.id}/branches/{t['a1'].id}/indicators/{manual.id}/score",
        data=score_body(manual),
        content_type="multipart/form-data",
    )
    assert response.status_code == 409
    assert count(ManualScore) == 0


def test_an_admin_defines_a_scheme_through_the_pages(world, client, login):
    login(world["people"]["admin"])
    response = client.post("/assessment/", data={"name": "2027年上半年考核", "year": 2027, "half": "1"})
    assert response.status_code == 302
    scheme_url = response.headers["Location"]
    assert client.post(f"{scheme_url}/sections", data={"name": "学习"}).status_code == 302
    scheme_id = int(scheme_url.rstrip("/").rsplit("/", 1)[1])
    section = services.get_scheme_for(scheme_id, world["people"]["admin"]).sections[0]
    bad = client.post(
        f"{scheme_url}/indicators",
        data={
            "section_id": section.id,
            "name": "学时",
            "kind": "hours_target",
            "weight": "1e999",
            "floor": "0",
            "target": "1",
        },
    )
    assert bad.status_code == 422
    assert "数值应在" in bad.get_data(as_text=True)
    body = {
        "section_id": section.id,
        "name": "学时",
        "kind": "hours_target",
        "weight": "40",
        "floor": "0",
        "target": "1",
    }
    assert client.post(f"{scheme_url}/indicators", data=body).status_code == 302
    assert client.post(f"{scheme_url}/start").status_code == 302
    page = client.get(scheme_url).get_data(as_text=True)
    assert "本期学时达到年度目标" in page  # the formula, for everyone assessed


def test_the_list_of_schemes_costs_the_same_queries_for_one_scheme_or_five(
    world, client, login, count_queries
):
    admin = world["people"]["admin"]
    login(admin)
    with count_queries() as one:
        assert len(client.get("/api/v1/assessments").get_json()["data"]) == 1
    for n in range(4):
        scheme = services.create_scheme(admin, f"专项考核{n}", 2025, None)
        section = services.add_section(admin, scheme, "学习教育")
        services.add_indicator(admin, section, "通知回执", "notice_receipts", 10 + n)
    db.session.commit()
    with count_queries() as five:
        data = client.get("/api/v1/assessments").get_json()["data"]
    assert sorted(s["max_points"] for s in data) == [10, 11, 12, 13, 100]
    assert len(five) == len(one)
