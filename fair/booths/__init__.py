"""Halls, zones and booths: the floor plan and the allocation of booths to shortlisted projects."""
