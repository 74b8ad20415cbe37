"""Architecture rules (A): layers whose arrangement cannot learn the task well."""
