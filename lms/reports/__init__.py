"""The office's figures: the annual report and the partner report."""
