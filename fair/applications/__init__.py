"""Project applications (项目申报): drafts and submissions inside the fair's window."""
