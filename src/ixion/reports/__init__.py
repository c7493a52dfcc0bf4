"""Report formats written from scan results (NBE, text)."""
