"""Page weight: the bytes a phone downloads for a lesson page, in a real browser at 375×812.

Run: ``.venv/bin/python -m bench.page_weight``. A fresh SQLite database is migrated and seeded with
one course (``bench.courses``'s seed); gunicorn serves the app; Debian's Chromium, driven by
Playwright, logs in as a member and opens a video lesson page, twice in the same run:

- **ours**: as the site serves it — precompressed brotli/gzip static files and the hls.js light
  build (``flask static compress`` must have run: ``scripts/setup`` does it);
- **peer** (the page as it was before issue 19): the same page from a second server started with
  ``STATIC_PRECOMPRESSED=0`` (nothing compressed), with the full hls.js build in place of the light
  one. Both loads start with an empty browser cache (the login goes through the API request
  context, so the page is the first thing the browser fetches).

Printed: bytes transferred on the wire (bodies as sent plus headers) per resource and in total, with
the video's playlist and segments left out (they depend on the lesson, not on the page). The issue's
figure for the page before: 940 KiB.
"""

import re
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.courses import PASSWORD, free_port, migrated_environment, seed
from bench.records import wait_until_serving

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-dev-shm-usage",
]
MEDIA = (".m3u8", ".ts", ".m4s", ".mp4", ".aac", ".jpg")


def measure(browser, base: str, login: str, lesson: int, *, as_before: bool) -> list[tuple[str, int]]:
    context = browser.new_context(
        viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    form = context.request.get(f"{base}/login").text()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form)
    fields = {"identifier": login, "password": PASSWORD} | ({"csrf_token": token.group(1)} if token else {})
    assert context.request.post(f"{base}/login", form=fields, max_redirects=0).status == 302
    page = context.new_page()
    if as_before:
        page.route(
            "**/vendor/hls.light.min.*",
            lambda route: route.continue_(
                url=route.request.url.split("/static/")[0] + "/static/vendor/hls.min.js"
            ),
        )
    seen: list[tuple[str, int]] = []

    def finished(request):
        if request.url.split("?")[0].endswith(MEDIA) or "/media/" in request.url:
            return
        sizes = request.sizes()
        seen.append((request.url.replace(base, ""), sizes["responseBodySize"] + sizes["responseHeadersSize"]))

    page.on("requestfinished", finished)
    page.goto(f"{base}/courses/lessons/{lesson}", wait_until="networkidle")
    context.close()
    return seen


def main() -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="hongke-bench-weight-") as folder:
        env = migrated_environment(f"sqlite:///{Path(folder) / 'bench.sqlite'}", Path(folder))
        subprocess.run(
            [str(BIN / "flask"), "static", "compress"],
            cwd=ROOT,
            env={**env, "FLASK_APP": "wsgi.py"},
            check=True,
        )
        from app import create_app
        from app.config import Config
        from app.extensions import db

        app = create_app(Config)
        with app.app_context():
            data = seed(10, 2)
            db.session.remove()
            db.engine.dispose()
        servers, bases = [], []
        for precompressed in ("1", "0"):
            port = free_port()
            command = [
                str(BIN / "gunicorn"),
                "--workers",
                "1",
                "--threads",
                "4",
                "--bind",
                f"127.0.0.1:{port}",
            ]
            servers.append(
                subprocess.Popen(
                    [*command, "--log-level", "warning", "wsgi:app"],
                    cwd=ROOT,
                    env={**env, "STATIC_PRECOMPRESSED": precompressed},
                )
            )
            bases.append(f"http://127.0.0.1:{port}")
        try:
            for base in bases:
                wait_until_serving(int(base.rsplit(":", 1)[1]))
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
                )
                login, lesson = data["members"][0], data["lesson"]
                ours = measure(browser, bases[0], login, lesson, as_before=False)
                before = measure(browser, bases[1], login, lesson, as_before=True)
                browser.close()
        finally:
            for server in servers:
                server.terminate()
                server.wait(20)

    for label, rows in (
        ("ours (compressed, hls.js light)", ours),
        ("peer (uncompressed, full hls.js)", before),
    ):
        total = sum(size for _, size in rows)
        print(f"{label}: {total / 1024:.1f} KiB transferred in {len(rows)} requests")
        for path, size in sorted(rows, key=lambda r: -r[1]):
            print(f"  {size / 1024:8.1f} KiB  {path[:100]}")
    ratio = sum(s for _, s in ours) / max(1, sum(s for _, s in before))
    print(f"ours / peer: {ratio:.2f}  (goal: under 350 KiB; the issue measured 940 KiB before)")


if __name__ == "__main__":
    main()
