"""People and service clients over the API (SPEC 13), and logins with their audit trail."""
