"""Self-checks for the exercises and derivation checks for the notebooks.

The engine (``course.checks.engine``) compares an answer with a reference and says
what differs; its public names are re-exported here, so notebooks write
``from course.checks import check, derive``. The exercise checks live in one
module per topic: ``features``, ``models``, ``statistics_attention`` (notebook 04),
``dictionary_spectral`` (05, 06), ``heads``, ``verification``.
"""

from course.checks.engine import (
    CheckFailed,
    Mistake,
    assert_close,
    check,
    check_function,
    check_with_mistakes,
    derive,
    describe_difference,
    diagnose,
    name_the_mistake,
    padded_batches,
)

__all__ = ["CheckFailed", "Mistake", "assert_close", "check", "check_function", "check_with_mistakes", "derive",
           "describe_difference", "diagnose", "name_the_mistake", "padded_batches"]
