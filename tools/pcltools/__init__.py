"""pagecache-lock harness: base tree, patch queue, kunit.py runs, reports."""
