"""Built-in course-type plugins, one package per type, registered through entry points."""
