"""Local Fixit rules used only by benchmarks/bench.py (the Fixit side of the comparison)."""
