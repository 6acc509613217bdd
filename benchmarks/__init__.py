"""Side-by-side speed measurements that print ratios (run with `make bench`)."""
