"""The end-to-end fault suite: two workers, one fault per scenario, every position against an oracle.

Run time on the shared 2-core machine: ~2.5-3 min when every scenario passes (each 25-55 s); a failing
scenario waits out its 90 s settle deadline (the whole suite then took 6 min 40 s with three failing).
"""
