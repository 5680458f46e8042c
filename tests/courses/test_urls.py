"""Issue 13: courses builds URLs outside a request with the one shared tool, ``core.urls.site_path``,
which honours APPLICATION_ROOT (the old ``page_url`` did not)."""

from courses.services import receivers


def test_issue13_a_notification_sent_outside_a_request_links_under_the_application_root(
    app, monkeypatch, trainer, make_course, notifications
):
    course = make_course(trainer, publish=False)
    lesson = course.chapters[0].lessons[0]
    monkeypatch.setitem(app.config, "APPLICATION_ROOT", "/hongke")
    receivers.on_media_failed(None, asset_id=lesson.media_asset_id, error="解码失败")
    assert notifications[-1]["url"] == f"/hongke/courses/lessons/{lesson.id}/edit"
