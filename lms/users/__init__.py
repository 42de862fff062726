"""Staff management of user accounts."""
