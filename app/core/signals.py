"""Signals that cross domain boundaries. Each domain connects its receivers in its own package."""

from blinker import Namespace

hongke_signals = Namespace()

#: Sent with ``user`` (the new account) and ``actor`` when an account is created.
user_created = hongke_signals.signal("user-created")
#: Sent with ``user`` and ``actor`` when an account's branch changes.
user_branch_changed = hongke_signals.signal("user-branch-changed")
#: Sent by a bulk import with ``user_ids`` (the accounts it created or moved to another branch) and
#: ``actor``: one signal for the whole import instead of one per row.
members_imported = hongke_signals.signal("members-imported")
#: Sent by accounts (sender ``"accounts"``) when a bulk import names the category people already have:
#: ``categories`` ({user id: MemberCategory}), ``actor`` and ``source`` (``"import"``). Accounts never
#: write the category; the membership domain records it as a baseline on each development file.
categories_reported = hongke_signals.signal("categories-reported")
#: Sent with ``asset_id`` (sender: the :class:`~media_pipeline.models.MediaAsset`) when an asset's
#: renditions are published and playable. Courses listen to it; the pipeline knows nothing of them.
media_ready = hongke_signals.signal("media-ready")
#: Sent with ``asset_id`` and ``error`` (the Chinese message the trainer sees) when an asset fails.
media_failed = hongke_signals.signal("media-failed")

#: Ask for an in-app notification, from any domain, without importing the portal. Sent with
#: ``user_ids`` (list of int), ``title``, ``body``, ``url`` (or None) and ``kind`` (a short dotted
#: string such as ``course.reminder``); the portal's receiver stores one notification per user and
#: the delivery channels a site plugged in (SMS, e-mail) pass it on. The sender is the domain name.
notification_requested = hongke_signals.signal("notification-requested")
#: Ask the portal for a company-wide news item (新闻动态), published at once, that links to a page of
#: another domain. Sent with ``actor`` (the :class:`User` whose act it announces), ``title`` and
#: ``summary`` (plain text, in Chinese: stored for every reader) and ``url`` (a path on this site);
#: the sender is the domain name. The portal writes, audits and announces it; senders never touch
#: the portal's tables.
news_requested = hongke_signals.signal("news-requested")
#: Sent by the quiz domain when a member passes a quiz: ``user_id``, ``quiz_id``, ``attempt_id``,
#: ``score``. Records completes any lesson gated by that quiz once its coverage suffices.
quiz_passed = hongke_signals.signal("quiz-passed")
#: Sent by records when a lesson becomes complete for a member: ``user_id``, ``lesson_id``.
lesson_completed = hongke_signals.signal("lesson-completed")
#: Sent by courses (sender ``"courses"``) when a lesson is deleted, with ``lesson_id`` and
#: ``course_id``. Records drops the member's progress and playback sessions of that lesson; hours
#: already credited for it stay in the append-only ledger.
lesson_deleted = hongke_signals.signal("lesson-deleted")
#: Sent by branchlife (sender ``"branchlife"``) once per member when a branch records the final grades
#: of a 民主评议党员, with ``member_id``, ``year`` and ``grade`` (``excellent``, ``qualified``, ``basic``
#: or ``unqualified``). The membership domain files it in the member's archive; never who voted what.
review_graded = hongke_signals.signal("review-graded")

# --- facts that earn points (积分): sent by the domain that verified them, heard by app/quiz/earning --
#: Sent by records (sender ``"records"``) when a heartbeat credits video or audio time to a lesson,
#: with ``user_id``, ``lesson_id`` and ``seconds`` (new coverage the server's clock allowed: never a
#: replay, a seek or time beyond the session's budget).
media_time_credited = hongke_signals.signal("media-time-credited")
#: Sent after a heartbeat of an article (by ``"kb"`` for a knowledge-base article, by ``"records"``
#: for an article lesson) once the member has reached its end, with ``user_id``, ``ref``
#: (``kb:<id>`` or ``lesson:<id>``), ``visible_seconds`` (time the page was visibly open, measured by
#: the server's clock) and ``title``.
article_read = hongke_signals.signal("article-read")
#: Sent by courses (sender ``"courses"``) when a member completes every lesson of a course, with
#: ``user_id`` and ``course_id``.
course_completed = hongke_signals.signal("course-completed")
#: Sent by accounts (sender ``"accounts"``) when a member signs in with their password, with
#: ``user_id``.
member_signed_in = hongke_signals.signal("member-signed-in")
#: Sent by courses and qa when a member's comment or answer is published, with ``user_id``,
#: ``kind`` (``lesson_comment``, ``qa_answer``, ``qa_comment``), ``target`` (what it is about:
#: ``lesson:<id>``, ``question:<id>``) and ``item_id``. Points are earned once per target, so a
#: removed comment re-posted earns nothing.
content_published = hongke_signals.signal("content-published")
