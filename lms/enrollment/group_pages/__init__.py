"""The staff pages of a course's class groups."""
