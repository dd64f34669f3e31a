"""Long work outside the request: batch PDFs, imports, allocations, with progress, cancelling and a result file."""
