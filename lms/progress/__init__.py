"""What comes next for a trainee: the home page's view of their enrolments (next meeting,
state, attendance against the threshold, certificate or the reason there is none)."""
