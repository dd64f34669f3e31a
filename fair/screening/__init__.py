"""Screening (初审): the rubric, assigning reviewers, scoring, the organizer's progress and duplicates."""
