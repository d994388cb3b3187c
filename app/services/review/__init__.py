"""Case review (SPEC 14): review moves and their history, second readings, agreement."""
