"""``cached_fit``: train once, reuse everywhere. Several notebooks ask for the same
small model; the first trains it, the others load it in a second.

The key hashes the config, the corpus it resolves to (smoke or default) and the
code of every module training imports (``training_modules``: followed from the loop, the
builders, validation and the test scoring through their imports): editing that code retrains; editing a comment or a
docstring does not (the key hashes the syntax tree without docstrings). Files live under
``course.paths.cache_dir("train")`` and are never committed.
"""

from __future__ import annotations

import ast
import hashlib
import json
from pathlib import Path

import torch

from course.env import is_smoke
from course.paths import cache_dir
from course.train import builders
from course.train.checkpoints import MODEL_FORMAT, CheckpointError, load_weights, read_checkpoint, scoring_recipe
from course.train.config import TrainConfig
from course.train.loop import TrainResult, fit

PACKAGE = Path(__file__).resolve().parent.parent
# Where training starts: the step loop, what builds its parts, validation, this cache and the test scoring.
ROOTS = ("course.train.loop", "course.train.builders", "course.train.validate", "course.train.cache",
         "course.evaluate")


def module_file(name: str) -> Path | None:
    """The source file of ``course.x.y`` (a module or a package's ``__init__``), None outside the package."""
    if name != "course" and not name.startswith("course."):
        return None
    base = PACKAGE.parent.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def imported_modules(file: Path) -> set[str]:
    """Every ``course`` module ``file`` imports, at the top or inside a function (``from a import b``
    counts ``a.b`` too when ``b`` is a module)."""
    names = set()
    for node in ast.walk(ast.parse(file.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    if file.name == "__init__.py" and "iter_modules(__path__)" in file.read_text():  # imports all its modules
        package = ".".join(file.parent.relative_to(PACKAGE.parent).parts)
        names.update(f"{package}.{child.stem}" for child in file.parent.glob("*.py") if child.stem != "__init__")
    return {name for name in names if module_file(name) is not None}


def training_modules(roots=ROOTS) -> list[Path]:
    """The files of every ``course`` module training imports, followed transitively from ``roots``."""
    seen, todo = set(), list(roots)
    while todo:
        name = todo.pop()
        file = module_file(name)
        if file is None or file in seen:
            continue
        seen.add(file)
        todo.extend(imported_modules(file))
        parts = name.split(".")  # importing a.b.c runs a/__init__ and a/b/__init__ too
        todo.extend(".".join(parts[:i]) for i in range(2, len(parts)))
    return sorted(seen)


def code_hash(files=None) -> str:
    """SHA-256 of the code (path and syntax tree) of the modules training imports (``training_modules``)."""
    digest = hashlib.sha256()
    for file in files if files is not None else training_modules():
        digest.update(str(file.relative_to(PACKAGE)).encode())
        digest.update(code_text(file.read_text()).encode())
    return digest.hexdigest()


def code_text(source: str) -> str:
    """What of a module's source decides its behaviour: the syntax tree, without comments and docstrings."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and body
                and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            node.body = body[1:] or [ast.Pass()]
    return ast.dump(tree)


def cache_key(config: TrainConfig) -> str:
    corpus = config.corpus if config.corpus is not None else ("default-smoke" if is_smoke() else "default")
    text = json.dumps({"config": config.to_json(), "corpus": corpus, "code": code_hash(),
                       "torch": torch.__version__.split("+")[0]}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def cache_path(config: TrainConfig) -> Path:
    return cache_dir("train") / f"{config.model}-{config.pooling}-{config.head}-{cache_key(config)}.pt"


def cached_fit(config: TrainConfig, progress: bool = True, callback=None) -> TrainResult:
    """``fit(config)``, or the result of an earlier identical run loaded from the cache.

    ``callback``: passed to ``fit`` (live curves, a progress bar in a widget) when it trains.
    """
    path = cache_path(config)
    if path.exists():
        try:
            return load_result(path, config)
        except CheckpointError as error:  # a torn, damaged or stale file is retrained, never fatal
            print(f"cached model unreadable, retraining: {error}")
    result = fit(config, progress=progress, callback=callback)
    result.test = test_evaluation(result.model, builders.corpus_root(config))
    save_result(path, result)
    return result


def test_evaluation(model, root) -> dict | None:
    """The test trials of ``root``, scored once after training: EER with its interval and counts
    (``course.metrics.eer_interval``) and minDCF; None when the corpus has no test trials."""
    from course.data.corpus import TRIAL_FILE
    from course.evaluate import embed_and_score

    if not (Path(root) / TRIAL_FILE).is_file():
        return None
    scored = embed_and_score(model, root)
    return {**scored["interval"], "min_dcf": scored["min_dcf"], "min_dcf_0.05": scored["min_dcf_0.05"]}


def save_result(path: Path, result: TrainResult) -> None:
    from course.train.export import save_model

    save_model(path, result)  # atomic: concurrent notebooks never read a half-written file


def load_result(path: Path, config: TrainConfig) -> TrainResult:
    """The cached run at ``path``; any problem with the file is a ``CheckpointError`` (``cached_fit`` retrains)."""
    payload = read_checkpoint(path, formats=(MODEL_FORMAT,))  # a file whose digest no longer matches is an error
    model = builders.build_model(config)
    load_weights(path, model, payload["model"], config.model)
    num_classes, embed_dim = payload["head_shape"]
    head = builders.build_head(config, embed_dim, num_classes)
    load_weights(path, head, payload["head"], config.head)
    recipe = scoring_recipe(payload)
    return TrainResult(model.eval(), head.eval(), payload["losses"], config, payload["accuracies"],
                       payload["seconds"], from_cache=True, history=recipe["history"], threshold=recipe["threshold"],
                       score_mean=recipe["score_mean"], cpu_seconds=payload.get("cpu_seconds", 0.0),
                       test=payload.get("test"), calibration=recipe["calibration"])


def course_model(pooling: str = "ASTP", progress: bool = True, callback=None) -> TrainResult:
    """The course model (``course_config(pooling)``), trained once and cached: whichever notebook
    runs first trains it (notebook 10 in a full build), every other one loads it."""
    from course.train.config import course_config

    return cached_fit(course_config(pooling), progress=progress, callback=callback)
