"""The end-to-end fault suite: two workers, one fault per scenario, every position against an oracle.

Run time on the shared 2-core machine: 2 min 20-35 s when every scenario passes (each 25-55 s); a
failing scenario waits out its 90 s settle deadline (6 min 40 s with three failing).
"""
