"""The 发展党员 figure the assessment scores (``development_on_time``): steps recorded on time, late
(alerted as overdue, or recorded only with a coordinator's override) and missed, per 党支部."""

from datetime import date

from app.assessment.indicators import KINDS, Period
from app.extensions import db
from app.membership.figures import steps_on_time
from app.membership.services import development as dev
from app.membership.services.reminders import send_reminders


def test_steps_on_time_counts_late_and_missed_steps_per_branch(people, create_user):
    tree, secretary, coordinator = people["tree"], people["secretary"], people["coordinator"]
    prompt, late, missing = people["member"], people["neighbour"], create_user(branch=tree["a2"], name="王五")
    dev.record_step(secretary, prompt, "application", date(2026, 5, 1))
    dev.record_step(secretary, prompt, "talk", date(2026, 5, 20))  # within the month
    dev.record_step(secretary, late, "application", date(2026, 5, 10))  # talk due by 10 June
    dev.record_step(coordinator, missing, "application", date(2026, 5, 1))  # talk due by 1 June
    db.session.commit()
    assert send_reminders() >= 2  # today is 15 June: both talks are overdue
    db.session.commit()
    dev.record_step(coordinator, late, "talk", date(2026, 6, 15), override_reason="谈话人出差，延期谈话")
    db.session.commit()

    figures = steps_on_time(tree["root"].path, date(2026, 1, 1), date(2026, 12, 31))
    assert figures[tree["a1"].id] == (3, 4)  # two prompt steps and one application on time; one late talk
    assert figures[tree["a2"].id] == (1, 2)  # the application on time; the talk missed
    assert tree["b1"].id not in figures  # nobody in the pipeline: nothing asked of it
    # A coordinator's subtree and a period hold only what lies in them.
    assert set(steps_on_time(tree["a"].path, date(2026, 1, 1), date(2026, 12, 31))) == {
        tree["a1"].id,
        tree["a2"].id,
    }
    assert steps_on_time(tree["root"].path, date(2026, 1, 1), date(2026, 4, 30)) == {}
    # The assessment reads the same figure through its kind.
    period = Period(2026, date(2026, 1, 1), date(2026, 12, 31), date(2026, 6, 15))
    assert KINDS["development_on_time"].figures(tree["root"].path, period) == figures
