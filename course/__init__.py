"""Helper package of the speaker-embeddings course.

Every piece the notebooks build lives here, tested like a library. The
notebooks import from it; nothing in it imports a notebook.
"""

__version__ = "0.1.0"

# The one place the repository's address lives (README badges and the Colab
# setup cell read it from here).
REPO_URL = "https://github.com/speaker-embeddings-course/speaker-embeddings-course"
