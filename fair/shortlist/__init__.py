"""Shortlisting (入围名单): quotas, a severity-corrected proposal, overrides, publishing, the waitlist."""
