"""What every browser test does the same way."""

#: The password of every account the browser tests create.
PASSWORD = "Passw0rd-e2e"


def log_in(page, base: str, identifier: str, password: str = PASSWORD, *, wait: bool = True) -> None:
    """Log in through the real form; with ``wait``, until the home page has loaded."""
    page.goto(f"{base}/login")
    page.get_by_label("工号或手机号").fill(identifier)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    if wait:
        page.wait_for_url(f"{base}/")
