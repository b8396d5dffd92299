"""Training: ``fit(config)`` trains a model and a head; ``cached_fit(config)`` reuses an
identical earlier run; ``course_model(pooling)`` is the course model (``course_config``:
trained by notebook 10, inspected by every explorer); ``small_config`` is a shorter CPU
run; ``ecapa_voxceleb_config`` the GPU recipe. ``python -m course.train --config
configs/NAME.yaml`` runs any of them from the command line (also under torchrun).
Grow it here: new models in the ``course.models`` registry, new options in ``TrainConfig``
(with defaults, so cache keys of old configs stay meaningful).
"""

from course.train.cache import cache_path, cached_fit, code_hash, course_model
from course.train.config import TrainConfig, course_config, ecapa_voxceleb_config, small_config
from course.train.loop import TrainResult, fit

__all__ = ["TrainConfig", "TrainResult", "cache_path", "cached_fit", "code_hash", "course_config", "course_model",
           "ecapa_voxceleb_config", "fit", "small_config"]
