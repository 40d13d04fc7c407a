"""What several test modules share: sample data, page parsers, fault rigs (never imported by bench/)."""
