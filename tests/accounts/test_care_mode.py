"""关怀版: a member switches it on once; every page is then drawn large and high-contrast."""

from app.extensions import db


def test_a_member_switches_care_mode_on_for_every_page(client, login_as):
    member = login_as("member")
    assert 'class="hk-care"' not in client.get("/").get_data(as_text=True)

    response = client.post("/care-mode", data={"on": "1", "next": "/kb/"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/kb/")
    db.session.refresh(member)
    assert member.care_mode is True
    for path in ("/", "/kb/", "/account", "/courses/"):
        page = client.get(path).get_data(as_text=True)
        assert '<html lang="zh-CN" class="hk-care">' in page, path
        assert "/css/care." in page, path
        assert 'aria-pressed="true"' in page, path

    client.post("/care-mode", data={"on": "0"})
    db.session.refresh(member)
    assert member.care_mode is False
    assert "/css/care." not in client.get("/").get_data(as_text=True)


def test_before_login_a_cookie_keeps_the_login_page_large(client):
    assert 'class="hk-care"' not in client.get("/login").get_data(as_text=True)
    response = client.post("/care-mode", data={"on": "1", "next": "/login"})
    assert "hk_care=1" in response.headers["Set-Cookie"]
    assert "HttpOnly" in response.headers["Set-Cookie"]
    assert 'class="hk-care"' in client.get("/login").get_data(as_text=True)
    client.post("/care-mode", data={"on": "0", "next": "/login"})
    assert 'class="hk-care"' not in client.get("/login").get_data(as_text=True)


def test_the_switch_never_redirects_off_site(client):
    response = client.post("/care-mode", data={"on": "1", "next": "//evil.example/"})
    assert response.headers["Location"] == "/"


def test_the_member_choice_wins_over_another_device_cookie(client, login_as):
    client.post("/care-mode", data={"on": "1"})  # someone turned it on on this device before login
    login_as("member")  # whose own setting is off
    assert 'class="hk-care"' not in client.get("/").get_data(as_text=True)


def test_every_page_has_a_skip_link_and_landmarks(client, login_as):
    login_as("member")
    page = client.get("/").get_data(as_text=True)
    assert page.index('href="#main"') < page.index("<header>") < page.index('<main id="main"')
    assert "<footer" in page
    assert 'aria-label="主导航"' in page
