"""Equation-literal pooling: loops and einsums written to read like the formulas.

Slow on purpose. Each function is the ``reference`` twin of one module of
``course.pooling`` (declared on the class), takes the equation's symbols by name
(``pool.equation_parameters()``) and agrees with the module on every utterance
(tests/test_pooling_contract.py); the notebooks show these next to the derivation.
What several of them share (softmax, L2 normalisation, signed square root) is in
``common``.
"""
