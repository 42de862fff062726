"""Partner institutions that run the training."""
