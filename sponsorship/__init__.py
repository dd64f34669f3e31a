"""Sponsorship: sponsor profiles, the project catalog, recommendations, meetings, agreements and their
signing, the funding ledger and caring units (爱心单位)."""
