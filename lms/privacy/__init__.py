"""Personal data under Indonesia's UU PDP: consent, access, erasure, audited NIK views."""
