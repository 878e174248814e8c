"""Run untrusted student code in confined worker processes."""
