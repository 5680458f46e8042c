"""In-app notifications: any domain sends the signal; the bell, the centre, and external channels."""

import pytest

from app.core.signals import notification_requested
from app.extensions import db
from app.portal import notifications
from app.portal.models import Notification
from tests.helpers import count
from tests.portal.fixtures import notifications_of


def send(user_ids, title="课程提醒", url="/courses/1", **extra):
    notification_requested.send(
        "courses",
        user_ids=user_ids,
        title=title,
        body="《党章》将于明天截止",
        url=url,
        kind="course.reminder",
        **extra,
    )
    db.session.commit()


def test_the_signal_stores_one_notification_per_active_user(create_user):
    first, second = create_user("member"), create_user("member")
    gone = create_user("member")
    gone.is_active_account = False
    db.session.commit()
    send([first.id, first.id, second.id, gone.id, 999_999])
    stored = notifications_of(first)
    assert len(stored) == 1
    assert (stored[0].title, stored[0].kind, stored[0].sender, stored[0].url) == (
        "课程提醒",
        "course.reminder",
        "courses",
        "/courses/1",
    )
    assert len(notifications_of(second)) == 1
    assert notifications_of(gone) == []


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "https://evil.example/", "//evil.example", "/\\evil", "/a\nb"]
)
def test_a_notification_never_links_off_site(create_user, url):
    user = create_user("member")
    send([user.id], url=url)
    assert notifications_of(user)[0].url is None


def test_bell_shows_the_unread_count_with_one_query(client, login_as, count_queries):
    user = login_as("member")
    send([user.id])
    send([user.id], title="第二条")
    with count_queries() as statements:
        page = client.get("/notifications").get_data(as_text=True)
    assert 'data-testid="unread-count">2<' in page
    counting = [s for s in statements if "count(notification.id)" in s.lower()]
    assert len(counting) == 1  # the bell: one COUNT per page, whatever is on it
    for path in ("/", "/kb/", "/qa/", "/notices"):
        assert 'data-testid="unread-count">2<' in client.get(path).get_data(as_text=True), path


def test_open_one_then_mark_all_read(client, login_as, create_user):
    user = login_as("member")
    send([user.id], url="/qa/")
    send([user.id], title="第二条", url=None)
    newest, oldest = notifications_of(user)
    response = client.get(f"/notifications/{oldest.id}")
    assert response.headers["Location"] == "/qa/"
    assert [n.is_read for n in notifications_of(user)] == [False, True]
    assert 'data-read="no"' in client.get("/notifications?unread=1").get_data(as_text=True)

    client.post(f"/notifications/{newest.id}/read")
    assert all(n.is_read for n in notifications_of(user))
    send([user.id], title="第三条")
    send([user.id], title="第四条")
    client.post("/notifications/read-all")
    assert all(n.is_read for n in notifications_of(user))
    assert 'data-testid="unread-count"' not in client.get("/notifications").get_data(as_text=True)


def test_someone_elses_notification_is_404(client, login_as, create_user):
    other = create_user("member")
    send([other.id])
    login_as("member")
    target = notifications_of(other)[0]
    assert client.get(f"/notifications/{target.id}").status_code == 404
    assert client.post(f"/notifications/{target.id}/read").status_code == 404
    assert not notifications_of(other)[0].is_read


def test_api_lists_and_marks_read(api_as, create_user):
    user = create_user("member")
    send([user.id])
    caller = api_as(user)
    data = caller.get("/api/v1/notifications").get_json()["data"]
    assert data["unread"] == 1
    assert data["notifications"][0]["title"] == "课程提醒"
    assert caller.post("/api/v1/notifications/read-all").get_json()["data"] == {"marked": 1}
    assert caller.get("/api/v1/notifications").get_json()["data"]["unread"] == 0


class RecordingChannel:
    name = "test-sms"

    def __init__(self):
        self.sent = []

    def deliver(self, user, notification):
        self.sent.append((user.employee_no, notification.title))


class BrokenChannel:
    name = "test-broken"

    def deliver(self, user, notification):
        raise ConnectionError("gateway down")


@pytest.fixture
def channels():
    recording = RecordingChannel()
    notifications.register_channel(BrokenChannel())
    notifications.register_channel(recording)
    yield recording
    notifications.unregister_channel("test-sms")
    notifications.unregister_channel("test-broken")


def test_external_channels_get_it_after_commit_and_one_failing_stops_nothing(create_user, channels):
    user = create_user("member", employee_no="SMS001")
    notification_requested.send(
        "quiz", user_ids=[user.id], title="今日答题", body="", url=None, kind="quiz.daily"
    )
    assert channels.sent == []  # not before the notification is committed
    db.session.commit()
    assert channels.sent == [("SMS001", "今日答题")]
    assert count(Notification, Notification.user_id == user.id) == 1


def test_a_rolled_back_notification_is_not_delivered(create_user, channels):
    user = create_user("member")
    notification_requested.send(
        "quiz", user_ids=[user.id], title="回滚", body="", url=None, kind="quiz.daily"
    )
    db.session.rollback()
    assert channels.sent == []
    assert count(Notification, Notification.user_id == user.id) == 0
