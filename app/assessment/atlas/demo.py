"""Demo data for 党务统计 and 红色地图 (``flask seed-demo``): every demo branch's address and position
(around the company's park in Beijing), a few red education sites and the company's 党员活动室, birth
dates and education for the demo members, next week's planned meetings open to every member, and the
member structure counted. Idempotent: only what is still empty is filled in."""

import random
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa

from app.accounts.models import Education, User
from app.assessment.atlas.models import Place, PlaceKind
from app.assessment.statistics.services import refresh_structure
from app.branchlife.models import Meeting
from app.core.clock import localtoday, utcnow
from app.extensions import db
from app.org.models import Branch

#: The company's park: the committee sits here, the other branches around it.
HOME = (Decimal("39.984700"), Decimal("116.305800"))
STREETS = ("中关村大街", "科学院南路", "知春路", "学院路", "北四环西路", "海淀大街", "苏州街", "万泉河路")

#: (name, kind, address, latitude, longitude, description)
PLACES = (
    ("中共一大纪念馆", PlaceKind.EDUCATION_BASE, "上海市黄浦区黄陂南路374号", "31.222200", "121.470300",
     "中国共产党第一次全国代表大会会址所在地。"),
    ("延安革命纪念馆", PlaceKind.EDUCATION_BASE, "陕西省延安市宝塔区", "36.613100", "109.489700",
     "展示党中央在延安十三年的革命历程。"),
    ("西柏坡纪念馆", PlaceKind.EDUCATION_BASE, "河北省石家庄市平山县西柏坡镇", "38.352200", "113.935800",
     "新中国从这里走来。"),
    ("中国共产党历史展览馆", PlaceKind.EDUCATION_BASE, "北京市朝阳区北辰东路", "40.006400", "116.395200",
     "党史学习教育的重要阵地。"),
    ("公司党员活动室", PlaceKind.ACTIVITY_ROOM, "北京市海淀区中关村大街1号主楼三层", "39.984900",
     "116.306100",
     "可容纳60人，配有投影和党建资料角，工作日开放。"),
)  # fmt: skip

#: Education levels drawn for demo members (weights): most have a degree.
EDUCATION_WEIGHTS = (
    (Education.JUNIOR, 2), (Education.SENIOR, 8), (Education.COLLEGE, 20),
    (Education.BACHELOR, 45), (Education.MASTER, 20), (Education.DOCTOR, 5),
)  # fmt: skip


def _locate_branches(rng: random.Random) -> int:
    located = 0
    for i, branch in enumerate(
        db.session.scalars(sa.select(Branch).where(Branch.latitude.is_(None)).order_by(Branch.path))
    ):
        offset = (Decimal(rng.randint(-250, 250)) / 10000, Decimal(rng.randint(-350, 350)) / 10000)
        branch.latitude = (HOME[0] + (offset[0] if branch.depth else 0)).quantize(Decimal("0.000001"))
        branch.longitude = (HOME[1] + (offset[1] if branch.depth else 0)).quantize(Decimal("0.000001"))
        branch.address = branch.address or f"北京市海淀区{STREETS[i % len(STREETS)]}{rng.randint(1, 199)}号"
        branch.contact_phone = branch.contact_phone or f"010-6{rng.randint(1000000, 9999999)}"
        located += 1
    return located


def _add_places() -> int:
    known = set(db.session.scalars(sa.select(Place.name)))
    added = 0
    for name, kind, address, lat, lng, description in PLACES:
        if name not in known:
            db.session.add(
                Place(name=name, kind=kind, address=address, latitude=Decimal(lat), longitude=Decimal(lng),
                      description=description, contact="")
            )  # fmt: skip
            added += 1
    return added


def _describe_members(rng: random.Random, today: date) -> int:
    """Birth dates (consistent with each member's 入党日期: joined at 18 or later) and education."""
    levels = [e for e, _w in EDUCATION_WEIGHTS]
    weights = [w for _e, w in EDUCATION_WEIGHTS]
    rows = db.session.execute(
        sa.select(User.id, User.joined_party_on).where(User.birth_date.is_(None)).order_by(User.id)
    ).all()
    updates = []
    for user_id, joined in rows:
        latest = min(joined - timedelta(days=18 * 365) if joined else today, today - timedelta(days=20 * 365))
        born = latest - timedelta(days=rng.randint(0, 30 * 365))
        updates.append({"id": user_id, "birth_date": born, "education": rng.choices(levels, weights)[0]})
    if updates:
        db.session.execute(sa.update(User), updates)
    return len(updates)


def _open_planned_meetings() -> int:
    result = db.session.execute(
        sa.update(Meeting)
        .where(Meeting.status == "published", Meeting.starts_at > utcnow(), Meeting.is_open.is_(False))
        .values(is_open=True)
    )
    return result.rowcount


def seed_demo_atlas(today: date | None = None) -> dict:
    today = today or localtoday()
    rng = random.Random(20261203)
    figures = {
        "located_branches": _locate_branches(rng),
        "places": _add_places(),
        "members_described": _describe_members(rng, today),
        "open_meetings": _open_planned_meetings(),
    }
    db.session.flush()
    refresh_structure(today)
    return figures
