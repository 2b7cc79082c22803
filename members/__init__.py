"""Non-serving party members, the shared person record and party applicants."""
