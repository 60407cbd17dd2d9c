"""kezhuan's benchmarks: ``python -m bench`` (speed, memory, baseline) and ``bench.load`` (HTTP load).

Modules: :mod:`bench.synthetic` (deterministic corpora), :mod:`bench.vectors` (composed vectors
for sizes too large to embed twice), :mod:`bench.measure` (timing and memory), :mod:`bench.worker`
(one phase per process), :mod:`bench.run` (the run), :mod:`bench.report` (JSON, Markdown, PNG).
"""
