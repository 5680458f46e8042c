"""Courses: catalog, chapters and lessons, enrolment, assignments, flipped classes, the lesson player."""
