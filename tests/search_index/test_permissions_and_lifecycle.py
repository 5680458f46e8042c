"""What may be found, and how documents follow their rows: publish, unpublish, hide, archive, delete."""

from app.extensions import db
from app.kb import authoring as kb_authoring
from app.portal import services as portal_services
from app.qa import moderation as qa_moderation
from app.qa import services as qa_services
from courses import services as course_services
from tests.search_index.conftest import find, titles


def test_unpublishing_and_deleting_an_article_remove_it(people, article):
    item = article("两学一做学习教育常态化", "推进两学一做学习教育常态化制度化。")
    assert find(people["member_a1"], "两学一做").total == 1

    kb_authoring.unpublish_article(item, people["coordinator"])
    db.session.commit()
    assert find(people["member_a1"], "两学一做").total == 0

    kb_authoring.update_article(item, people["coordinator"], status="published")
    db.session.commit()
    assert find(people["member_a1"], "两学一做").total == 1

    kb_authoring.delete_article(item, people["coordinator"])
    db.session.commit()
    assert find(people["admin"], "两学一做").total == 0


def test_readers_see_the_approved_text_not_an_edit_waiting_for_review(people, article):
    item = article("党费收缴工作规定", "按月交纳党费。", author=people["trainer"], publish=False)
    kb_authoring.update_article(item, people["coordinator"], status="published")
    db.session.commit()
    kb_authoring.update_article(item, people["trainer"], body="修改中：党费收缴标准调整草案。")
    db.session.commit()

    assert find(people["member_a1"], "按月交纳").total == 1
    assert find(people["member_a1"], "调整草案").total == 0


def test_draft_and_archived_courses_and_their_lessons_never_appear(people, course):
    published = course(
        "学习贯彻党的二十大精神", "深入学习二十大报告。", lessons=[("二十大报告解读", "报告全文导读")]
    )
    course("党史学习教育草稿课程", "党史学习教育", lessons=[("党史草稿课时", "党史")], publish=False)
    member = people["member_b1"]

    assert titles(find(member, "二十大")) == ["学习贯彻党的二十大精神", "二十大报告解读"]
    assert find(member, "党史学习教育").total == 0
    assert find(member, "党史草稿课时").total == 0
    assert find(people["admin"], "党史草稿课时").total == 0

    course_services.archive_course(published, people["trainer"])
    db.session.commit()
    assert find(member, "二十大").total == 0
    assert find(member, "报告全文导读").total == 0


def test_editing_a_lesson_updates_its_document(people, course):
    item = course("组织生活会专题课", lessons=[("会前准备", "谈心谈话要全覆盖")])
    lesson = item.lessons()[0]
    course_services.update_lesson(
        lesson,
        course_services.LessonData(
            title="会前准备", kind="article", body="对照检查材料要实", estimated_minutes=5
        ),
        people["trainer"],
    )
    db.session.commit()

    assert find(people["member_a1"], "谈心谈话").total == 0
    assert titles(find(people["member_a1"], "对照检查")) == ["会前准备"]


def test_hidden_and_private_questions(people, question):
    public = question("如何召开组织生活会", "第一次主持，请教流程。")
    private = question("个人党费基数怎么算", "涉及工资，不便公开。", author=people["member_b1"], private=True)

    assert titles(find(people["member_a1"], "组织生活会")) == ["如何召开组织生活会"]
    # A private question: its asker, trainers and admins find it; other members do not.
    assert find(people["member_a1"], "党费基数").total == 0
    assert find(people["member_b1"], "党费基数").total == 1
    assert find(people["trainer"], "党费基数").total == 1
    assert find(people["admin"], "党费基数").total == 1

    qa_moderation.hide_content(public, people["admin"], "与党务无关")
    db.session.commit()
    for user in people.values():
        assert find(user, "组织生活会").total == 0, user.name
    assert private.id  # still there, just not for everyone


def test_an_answer_makes_its_question_findable_by_the_answer_text(people, question):
    item = question("预备党员转正需要什么材料", "请问流程。")
    qa_services.answer_question(item, people["trainer"], "需要提交转正申请书，支部大会讨论表决。")
    db.session.commit()

    assert titles(find(people["member_b1"], "转正申请书")) == ["预备党员转正需要什么材料"]


def test_withdrawing_a_notice_removes_it(people, notice):
    item = notice("关于召开党员大会的通知", "全体党员参加。")
    assert find(people["member_b1"], "党员大会").total == 1

    portal_services.withdraw_notice(item, people["admin"])
    db.session.commit()
    assert find(people["member_b1"], "党员大会").total == 0

    portal_services.delete_notice(item, people["admin"])
    db.session.commit()
    assert find(people["admin"], "党员大会").total == 0


def test_permissions_are_applied_before_paging(people, notice, org_tree):
    for i in range(12):
        notice(
            f"生产党总支第{i + 1}次学习安排",
            "学习强国专题学习。",
            branch=org_tree["b"],
            author=people["coordinator"],
        )
    notice("机关学习安排", "学习强国专题学习。", branch=org_tree["a"], author=people["coordinator"])

    first = find(people["member_a1"], "学习强国", per_page=10)
    assert first.total == 1
    assert titles(first) == ["机关学习安排"]
    other = find(people["member_b1"], "学习强国", per_page=10)
    assert other.total == 12
    assert len(other.results) == 10
    assert len(find(people["member_b1"], "学习强国", page=2, per_page=10).results) == 2
