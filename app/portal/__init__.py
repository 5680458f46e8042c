"""Home pages by role, news and notices, notifications; and the admin's audit log."""
