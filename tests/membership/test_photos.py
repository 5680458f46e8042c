"""The card photo: checked and re-encoded on upload, shown only to those allowed, and to a scanner
after a verified scan."""

import io
import re

import pytest
from PIL import Image

from app.membership.services import cards
from tests.membership.test_archive import upload_dir  # noqa: F401 -- fixture


def picture(fmt="JPEG", size=(1200, 900), exif=True) -> io.BytesIO:
    out = io.BytesIO()
    image = Image.new("RGB", size, "red")
    extra = {}
    if exif and fmt == "JPEG":
        tags = Image.Exif()
        tags[0x010F] = "SecretCameraMaker"  # Make
        tags[0x8825] = {2: (31.0, 14.0, 0.0)}  # GPS latitude: where the photo was taken
        extra["exif"] = tags.tobytes()
    image.save(out, fmt, **extra)
    out.seek(0)
    return out


def upload(client, member, body, name="me.jpg"):
    return client.post(
        f"/membership/members/{member.id}/photo",
        data={"photo": (body, name)},
        content_type="multipart/form-data",
    )


def test_a_member_uploads_their_photo_stripped_and_sees_it_on_the_card(people, upload_dir, client, login):  # noqa: F811
    member = people["member"]
    login(member)
    assert upload(client, member, picture()).status_code == 302
    card = client.get("/membership/card").get_data(as_text=True)
    url = re.search(r'src="(/membership/members/\d+/photo)"', card).group(1)
    response = client.get(url)
    assert response.status_code == 200
    assert response.mimetype == "image/jpeg"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"].startswith("inline")
    body = response.get_data()
    assert b"SecretCameraMaker" not in body
    with Image.open(io.BytesIO(body)) as stored:
        assert max(stored.size) <= 800
        assert not stored.getexif()


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_png_and_webp_are_taken_and_served_as_jpeg(people, upload_dir, client, login, fmt):  # noqa: F811
    member = people["member"]
    login(member)
    assert upload(client, member, picture(fmt, (50, 50)), f"me.{fmt.lower()}").status_code == 302
    assert client.get(f"/membership/members/{member.id}/photo").get_data()[:3] == b"\xff\xd8\xff"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<html><script>alert(1)</script></html>", "只接受 JPEG、PNG 或 WebP 格式的照片"),
        (b"%PDF-1.4 not a photo", "只接受 JPEG、PNG 或 WebP 格式的照片"),
        (b"\xff\xd8\xff\xe0" + b"garbage" * 100, "照片无法识别"),
        (b"", "文件是空的"),
    ],
)
def test_a_non_image_is_refused_in_chinese(people, upload_dir, client, login, body, message):  # noqa: F811
    member = people["member"]
    login(member)
    response = upload(client, member, io.BytesIO(body), "me.jpg")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert client.get(f"/membership/members/{member.id}/photo").status_code == 404


def test_an_oversized_photo_is_refused_in_chinese(people, upload_dir, client, login):  # noqa: F811
    member = people["member"]
    login(member)
    big = picture().getvalue() + b"\0" * (5 * 1024 * 1024)
    response = upload(client, member, io.BytesIO(big))
    assert response.status_code == 422
    assert "照片不能超过 5 MB" in response.get_data(as_text=True)


def test_others_may_neither_upload_nor_see_a_photo(people, upload_dir, client, switch_to):  # noqa: F811
    member = people["member"]
    switch_to(people["secretary"])
    assert upload(client, member, picture()).status_code == 302  # the secretary keeps the file
    url = f"/membership/members/{member.id}/photo"
    assert client.get(url).status_code == 200
    for outsider in (people["neighbour"], people["other_coordinator"]):
        switch_to(outsider)
        assert upload(client, member, picture()).status_code == 403
        assert client.get(url).status_code == 403
        assert client.get(url + "?t=forged").status_code == 403
    switch_to(people["coordinator"])
    assert client.get(url).status_code == 200
    assert client.get("/membership/members/999999/photo").status_code == 404


def test_a_verified_scan_shows_the_photo_and_its_link_loads(people, upload_dir, client, switch_to, clock):  # noqa: F811
    member, scanner = people["member"], people["other_coordinator"]  # a coordinator of another subtree
    switch_to(member)
    upload(client, member, picture())
    payload = cards.issue_card(member)
    switch_to(scanner)
    assert client.get(f"/membership/members/{member.id}/photo").status_code == 403  # no scan, no photo

    page = client.post("/membership/scan", data={"payload": payload}).get_data(as_text=True)
    scanned_url = re.search(r'data-testid="scan-photo"', page) and re.search(
        r'src="(/membership/members/\d+/photo\?t=[^"]+)"', page
    ).group(1)
    assert scanned_url
    photo = client.get(scanned_url.replace("&amp;", "&"))
    assert photo.status_code == 200
    assert photo.mimetype == "image/jpeg"

    data = client.post("/api/v1/cards/verify", json={"payload": payload}).get_json()["data"]
    assert client.get(data["photo_url"]).status_code == 200

    # The link is the scanner's own, for that member only, and for a while.
    token = data["photo_url"].split("t=", 1)[1]
    assert client.get(f"/membership/members/{people['neighbour'].id}/photo?t={token}").status_code == 403
    switch_to(people["neighbour"])
    assert client.get(data["photo_url"]).status_code == 403
    switch_to(scanner)
    clock.advance(11 * 60)
    assert client.get(data["photo_url"]).status_code == 403


def test_a_scan_of_a_member_without_photo_shows_none(people, upload_dir, client, login):  # noqa: F811
    login(people["coordinator"])
    data = client.post(
        "/api/v1/cards/verify", json={"payload": cards.issue_card(people["member"])}
    ).get_json()
    assert data["data"]["photo_url"] is None
