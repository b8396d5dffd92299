"""Equation-literal pooling: loops and einsums written to read like the formulas.

Slow on purpose. Each function mirrors one module of ``course.pooling`` and a
test asserts that the two agree; the notebooks show these next to the derivation.
"""
