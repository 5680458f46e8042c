"""Learning hours (学时): server-verified playback progress, the tamper-evident hours ledger,
yearly targets, training records, coordinator tracking and exports. The only writer of hours."""
