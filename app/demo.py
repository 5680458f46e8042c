"""``flask seed-demo``: a believable organisation to try the platform with. Safe to run again."""

import random
from datetime import date

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from app.accounts.models import BranchPosition, Gender, MemberCategory, Role, User, UserRole
from app.accounts.passwords import hash_password
from app.core.clock import utcnow
from app.extensions import db
from app.org.models import Branch, BranchKind
from app.org.services import create_branch

DEMO_PASSWORD = "Hongke2026"  # noqa: S105 -- the published demo password, listed in the README

COMMITTEE = "公司党委"
GENERAL_BRANCHES = {
    "机关党总支": ["机关第一党支部", "机关第二党支部", "财务审计党支部", "人力资源党支部"],
    "生产党总支": ["生产运行党支部", "设备检修党支部", "安全环保党支部", "质量技术党支部"],
    "营销党总支": ["市场开发党支部", "客户服务党支部", "物流配送党支部", "离退休党支部"],
}

#: The fixed demo accounts: (employee no., name, roles, branch name or None for the committee).
DEMO_ACCOUNTS = [
    ("admin", "系统管理员", [Role.ADMIN], None),
    ("T0001", "王建国", [Role.TRAINER, Role.MEMBER], "机关第一党支部"),
    ("T0002", "李红梅", [Role.TRAINER, Role.MEMBER], "机关第二党支部"),
    ("T0003", "张志强", [Role.TRAINER, Role.MEMBER], "生产运行党支部"),
    ("T0004", "刘晓燕", [Role.TRAINER, Role.MEMBER], "市场开发党支部"),
    ("T0005", "陈立新", [Role.TRAINER, Role.MEMBER], "质量技术党支部"),
    ("C0001", "赵文华", [Role.COORDINATOR, Role.MEMBER], "机关党总支"),
    ("C0002", "孙海涛", [Role.COORDINATOR, Role.MEMBER], "生产党总支"),
    ("C0003", "周丽娟", [Role.COORDINATOR, Role.MEMBER], "营销党总支"),
    ("M0001", "吴小明", [Role.MEMBER], "机关第一党支部"),
]

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN_MALE = (
    "伟刚勇毅俊峰强军平保东文辉力明永健世广志义兴良海山仁波宁贵福生龙元全国胜学祥才发"
    "武新利清飞彬富顺信子杰涛昌成康星光天达安岩中茂进林有坚和彪博诚先敬震振壮会思群豪"
    "心邦承乐绍功松善厚庆磊民友裕河哲江超浩亮政谦亨奇固之轮翰朗伯宏言若鸣朋斌梁栋维启"
    "克伦翔旭鹏泽晨辰士以建家致树炎德行时泰盛雄琛钧冠策腾楠榕风航弘"
)
GIVEN_FEMALE = (
    "秀娟英华慧巧美娜静淑惠珠翠雅芝玉萍红娥玲芬芳燕彩春菊兰凤洁梅琳素云莲真环雪荣爱妹"
    "霞香月莺媛艳瑞凡佳嘉琼勤珍贞莉桂娣叶璧璐娅琦晶妍茜秋珊莎锦黛青倩婷姣婉娴瑾颖露瑶"
    "怡婵雁蓓纨仪荷丹蓉眉君琴蕊薇菁梦岚苑婕馨瑗琰韵融园艺咏卿聪澜纯毓悦昭冰爽琬茗羽希"
    "宁欣飘育滢馥筠柔竹霭凝晓欢霄枫芸菲寒伊亚宜可姬舒影荔枝丽阳妮宝贝初程梵罡恒鸿桦骅"
    "剑娇纪宽苛灵玛媚琪晴容睿烁堂唯威韦雯苇萱阅彦宇雨洋忠宗曼紫逸"
)
CATEGORIES = (
    [MemberCategory.FULL] * 14
    + [MemberCategory.PROBATIONARY] * 2
    + [MemberCategory.CANDIDATE, MemberCategory.ACTIVIST, MemberCategory.ACTIVIST, MemberCategory.MASSES]
)


def _ensure_branch(name: str, kind: BranchKind, parent: Branch | None) -> Branch:
    same_parent = Branch.parent_id.is_(None) if parent is None else Branch.parent_id == parent.id
    existing = db.session.scalars(sa.select(Branch).where(Branch.name == name, same_parent)).first()
    return existing or create_branch(name, kind, parent, actor=None)


def _random_name(rng: random.Random, gender: Gender) -> str:
    pool = GIVEN_MALE if gender == Gender.MALE else GIVEN_FEMALE
    given = "".join(rng.choice(pool) for _ in range(rng.choice((1, 2, 2, 2))))
    return rng.choice(SURNAMES) + given


def _seed_branches() -> tuple[Branch, dict[str, Branch], list[Branch]]:
    """The committee, every demo branch by name, and the branches members belong to."""
    committee = _ensure_branch(COMMITTEE, BranchKind.COMMITTEE, None)
    by_name = {COMMITTEE: committee}
    leaves: list[Branch] = []
    for general, branches in GENERAL_BRANCHES.items():
        gb = _ensure_branch(general, BranchKind.GENERAL_BRANCH, committee)
        by_name[general] = gb
        for name in branches:
            leaf = _ensure_branch(name, BranchKind.BRANCH, gb)
            by_name[name] = leaf
            leaves.append(leaf)
    return committee, by_name, leaves


class _NewAccounts:
    """The demo accounts still missing, gathered as rows and inserted in two statements."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.existing = set(db.session.scalars(sa.select(User.employee_no)))
        self.mobiles = set(db.session.scalars(sa.select(User.mobile).where(User.mobile.is_not(None))))
        # One hash for every demo account: they share the published demo password, and hashing
        # three hundred Argon2 passwords would make the demo slow to start for no protection gained.
        self.password_hash = hash_password(DEMO_PASSWORD)
        self.now = utcnow()
        self.rows: list[dict] = []
        self.roles: list[tuple[str, Role]] = []

    def _mobile(self) -> str:
        mobile = f"1{self.rng.choice('3589')}{self.rng.randrange(10**9):09d}"
        while mobile in self.mobiles:
            mobile = f"1{self.rng.choice('3589')}{self.rng.randrange(10**9):09d}"
        self.mobiles.add(mobile)
        return mobile

    def add(self, employee_no, name, gender, branch, role_list, category, position, joined) -> None:
        if employee_no in self.existing:
            return
        self.rows.append(
            {
                "employee_no": employee_no,
                "name": name,
                "gender": gender,
                "mobile": self._mobile(),
                "branch_id": branch.id,
                "category": category,
                "position": position,
                "joined_party_on": joined,
                "password_hash": self.password_hash,
                "must_change_password": False,
                "is_active_account": True,
                "failed_logins": 0,
                "created_at": self.now,
                "updated_at": self.now,
            }
        )
        self.roles.extend((employee_no, r) for r in role_list)

    def add_member(self, leaf: Branch, i: int, serial: int) -> None:
        """The ``i``-th member of ``leaf``: its first three are its secretary, deputy and committee."""
        rng = self.rng
        gender = Gender.MALE if rng.random() < 0.6 else Gender.FEMALE
        category = rng.choice(CATEGORIES)
        is_party = category in (MemberCategory.FULL, MemberCategory.PROBATIONARY)
        position = (
            [BranchPosition.SECRETARY, BranchPosition.DEPUTY_SECRETARY, BranchPosition.COMMITTEE][i]
            if i < 3
            else BranchPosition.MEMBER
        )
        if i < 3:
            category, is_party = MemberCategory.FULL, True
        joined = date(rng.randint(1985, 2025), rng.randint(1, 12), rng.randint(1, 28)) if is_party else None
        name = _random_name(rng, gender)
        self.add(
            f"E{serial:05d}",
            name,
            gender,
            leaf,
            [Role.MEMBER],
            category,
            position if is_party else None,
            joined,
        )

    def insert(self) -> None:
        if not self.rows:
            return
        db.session.execute(sa.insert(User), self.rows)
        ids = dict(
            db.session.execute(
                sa.select(User.employee_no, User.id).where(
                    User.employee_no.in_([r["employee_no"] for r in self.rows])
                )
            ).all()
        )
        db.session.execute(
            sa.insert(UserRole), [{"user_id": ids[no], "role": role} for no, role in self.roles]
        )


def seed_demo(members_per_branch: int = 24) -> dict:
    """Create the demo organisation and accounts that are missing; returns what was added."""
    committee, by_name, leaves = _seed_branches()
    accounts = _NewAccounts(random.Random(20260701))
    for employee_no, name, role_list, branch_name in DEMO_ACCOUNTS:
        branch = by_name[branch_name] if branch_name else committee
        accounts.add(
            employee_no,
            name,
            Gender.MALE,
            branch,
            role_list,
            MemberCategory.FULL,
            BranchPosition.MEMBER,
            date(2005, 7, 1),
        )
    serial = 1
    for leaf in leaves:
        for i in range(members_per_branch):
            accounts.add_member(leaf, i, serial)
            serial += 1
    accounts.insert()
    db.session.flush()
    from courses.demo import seed_demo_courses  # the courses domain adds its own demo content

    courses = seed_demo_courses()
    from app.branchlife.demo import seed_demo_hours  # and organisation life records this year's meetings

    hours = seed_demo_hours()
    from app.care.demo import seed_demo_care  # hardship cases, seen only by the right roles
    from app.membership.demo import seed_demo_membership  # and people on their way into the Party
    from app.voice.demo import seed_demo_voice  # surveys with answers, suggestions in every state

    voice = seed_demo_voice()
    from app.assessment.atlas.demo import seed_demo_atlas  # the red map, members' ages and education
    from app.assessment.demo import seed_demo_assessment  # last year's 考核 published, this one running
    from app.kb.demo import seed_demo_kb  # the five knowledge-base columns with their articles
    from app.portal.demo import seed_demo_notices  # notices with receipts, some read, some not
    from app.qa.demo import seed_demo_qa  # questions with accepted answers
    from app.quiz.demo import seed_demo_bank, seed_demo_contests  # the bank, then contests drawn from it
    from app.works.demo import seed_demo_works  # a dozen published works, three featured

    return {
        "users": len(accounts.rows),
        "branches": len(leaves) + len(GENERAL_BRANCHES) + 1,
        "courses": courses["courses"],
        "meetings": hours,
        "surveys": voice["surveys"],
        "suggestions": voice["suggestions"],
        "interviews": voice["interviews"],
        "hardship_cases": seed_demo_care(),
        "works": seed_demo_works(),
        "membership": seed_demo_membership(),
        "articles": seed_demo_kb(),
        "qa_threads": seed_demo_qa(),
        "notices": seed_demo_notices(),
        "questions": seed_demo_bank(),
        "contests": seed_demo_contests(),
        "atlas": seed_demo_atlas(),
        "assessments": seed_demo_assessment(),
    }


@click.command("seed-demo")
@with_appcontext
def seed_demo_command():
    """Create the demo organisation and accounts (idempotent) and print the demo logins."""
    added = seed_demo()
    db.session.commit()
    click.echo(
        f"演示数据就绪：新增 {added['users']} 个账户，{added['courses']} 门课程，"
        f"{added['meetings']} 次三会一课，{added['surveys']} 份调查，{added['suggestions']} 条建议，"
        f"{added['interviews']} 场在线访谈，"
        f"{added['hardship_cases']} 件困难帮扶，{added['works']} 件党员作品，"
        f"{added['articles']} 篇知识库文章，{added['qa_threads']} 个问答，{added['notices']} 条党务公开，"
        f"{added['questions']} 道题目，{added['contests']} 场知识竞赛。"
    )
    click.echo(f"演示账号（密码均为 {DEMO_PASSWORD}）：")
    for employee_no, name, role_list, branch_name in DEMO_ACCOUNTS:
        labels = "、".join(
            {Role.ADMIN: "管理员", Role.TRAINER: "讲师", Role.COORDINATOR: "组织员", Role.MEMBER: "学员"}[r]
            for r in role_list
        )
        click.echo(f"  {employee_no:<6} {name}  {labels}  {branch_name or COMMITTEE}")
