"""Plan ingestion: readers per file format, document parsing, project extraction, rules."""
