"""Self-checks for the exercises and derivation checks for the notebooks.

The engine (``course.checks.engine``) compares an answer with a reference and says
what differs; its public names are re-exported here, so notebooks write
``from course.checks import check, derive``. The exercise checks live in one
module per topic: ``features``, ``models``, ``statistics_attention`` (notebook 04),
``dictionary_spectral`` (05, 06), ``heads``, ``verification``.
"""

from course.checks.engine import (
    COMMON_MISTAKE,
    IT_LOOKS_LIKE,
    CheckFailed,
    Mistake,
    Mistakes,
    assert_close,
    assert_passes,
    check,
    check_function,
    derive,
    describe_difference,
    diagnose,
    exercise,
    is_stub,
    padded_batches,
)

__all__ = ["COMMON_MISTAKE", "IT_LOOKS_LIKE", "CheckFailed", "Mistake", "Mistakes", "assert_close", "assert_passes",
           "check", "check_function", "derive", "describe_difference", "diagnose", "exercise",
           "is_stub", "padded_batches"]
