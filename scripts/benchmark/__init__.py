"""The parts of ``make bench`` (scripts/bench.py is its command line): the load generator and its
figures (``measure``), the processes measured (``processes``), the traces read back (``traces``), and
the three kinds of run: throughput against the calibration with what each piece of the tracing costs
(``throughput``), memory over a long run (``soak``), and the two load engines side by side
(``engines``)."""
