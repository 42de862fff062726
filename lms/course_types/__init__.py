"""The course-type plugin contract and the registry that loads plugins from entry points."""
