"""Training: ``fit(config)`` trains a model and a head; ``cached_fit(config)`` reuses an
identical earlier run; ``small_config(pooling=...)`` is the CPU-sized run the
notebooks share. Grow it here: new models in ``builders.MODELS``, new options in
``TrainConfig`` (with defaults, so cache keys of old configs stay meaningful).
"""

from course.train.cache import cache_path, cached_fit, code_hash
from course.train.config import TrainConfig, small_config
from course.train.loop import TrainResult, fit

__all__ = ["TrainConfig", "TrainResult", "cache_path", "cached_fit", "code_hash", "fit", "small_config"]
