"""The pages of excuse requests: the trainee's leave form, and the trainers' and staff's
decision buttons (shown on the roster and on the staff course page)."""
