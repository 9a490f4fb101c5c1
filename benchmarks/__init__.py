"""Benchmarks: measured speed, size and scaling of every stage (`make bench`, never `make test`).

Run with `python -m benchmarks.run --size N`. Each measurement prints a table and writes
`benchmarks/results/<name>.json` with the machine's core count and the versions used.
"""
