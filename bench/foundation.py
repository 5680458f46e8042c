"""Foundation benchmarks: ``flask seed-demo`` and importing 5,000 members.

Run: ``.venv/bin/python -m bench.foundation``. Each figure is printed next to its peer, measured in
the same run on the same machine:

- seed-demo (a fresh SQLite database, a separate ``flask`` process) against starting the same
  ``flask`` process that does nothing (``flask routes``): what seeding itself costs;
- the bulk import of 5,000 rows (the service the web page and CLI use) against inserting the same
  rows one ORM object at a time through ``create_user``, the obvious way to write it.
"""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from openpyxl import Workbook

ROOT = Path(__file__).resolve().parent.parent
FLASK = str(Path(sys.executable).parent / "flask")
ROWS = 5000


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def run_flask(env, *args):
    subprocess.run([FLASK, *args], cwd=ROOT, env=env, check=True, capture_output=True)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="hongke-bench-") as folder:
        folder = Path(folder)
        env = {
            **os.environ,
            "FLASK_APP": "wsgi.py",
            "SECRET_KEY": "bench",
            "DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite'}",
            "CELERY_TASK_ALWAYS_EAGER": "1",
        }
        run_flask(env, "db", "upgrade")
        startup, _ = timed(lambda: run_flask(env, "routes"))
        seed, _ = timed(lambda: run_flask(env, "seed-demo"))
        print(f"flask seed-demo (fresh SQLite, ~300 accounts, 16 branches): {seed:6.2f} s")
        print(f"  peer: the same flask process doing nothing (flask routes):    {startup:6.2f} s")

        xlsx = folder / "members.xlsx"
        wb = Workbook()
        wb.active.append(["工号", "姓名", "手机号", "所属组织", "性别", "人员类别", "入党日期", "党内职务"])
        for i in range(ROWS):
            wb.active.append(
                [
                    f"B{i:05d}",
                    f"成员{i}",
                    f"1350000{i:04d}",
                    "公司党委/机关党总支/机关第一党支部",
                    "男",
                    "正式党员",
                    "2001-07-01",
                    "党员",
                ]
            )
        wb.save(xlsx)

        os.environ.update({k: v for k, v in env.items() if k in ("SECRET_KEY", "DATABASE_URL")})
        from app import create_app
        from app.accounts import services
        from app.accounts.importing import import_members
        from app.config import Config
        from app.extensions import db
        from app.org.services import find_branch

        app = create_app(Config)
        with app.app_context():
            first, report = timed(lambda: import_members(xlsx, xlsx.name, actor=None))
            db.session.commit()
            if not (report.ok and report.created == ROWS):
                raise SystemExit(f"import failed: {report}")
            again, report = timed(lambda: import_members(xlsx, xlsx.name, actor=None))
            db.session.commit()
            if not (report.ok and report.updated == ROWS):
                raise SystemExit(f"re-import failed: {report}")
            print(f"import {ROWS} members from XLSX (new):                    {first:6.2f} s")
            print(f"re-import the same {ROWS} (all updates):                  {again:6.2f} s")

            branch = find_branch("公司党委/机关党总支/机关第一党支部")

            def one_by_one():
                for i in range(ROWS):
                    data = services.UserData(
                        employee_no=f"N{i:05d}",
                        name=f"成员{i}",
                        mobile=f"1360000{i:04d}",
                        branch_id=branch.id,
                    )
                    services.create_user(data, ["member"], actor=None)
                db.session.commit()

            naive, _ = timed(one_by_one)
            print(f"  peer: {ROWS} rows one ORM object at a time (create_user):  {naive:6.2f} s")
            print(f"  speed-up of the bulk import over the peer: {naive / first:.1f}x")


if __name__ == "__main__":
    main()
