"""Judging: rubric, assignment of judges, tablet scoring, bias-corrected ranking, award tiers."""
