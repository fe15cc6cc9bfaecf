"""Data protection: export, erasure, uninstall purges, retention and redaction."""
