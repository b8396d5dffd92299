# %% [markdown]
# # 10 · Training the course model
#
# Every piece is built: features (01), a TDNN backbone and its pooling (02–08), a margin head (09).
# This notebook trains them together, properly: random 2 s crops read from the waveform, augmented on
# the fly (noise, reverberation, speed), a learning rate that warms up and decays, a margin ramped in,
# a validation EER measured as training goes. The result is **the course model**: the one every
# explorer of the course inspects (notebooks 03, 04 and 06 load it from the cache). Then we look at
# what it learned: DET curves against the no-training baseline, score distributions, a 2-D map of
# unseen speakers, three ways of scoring, how the embedding holds up on channels that training
# never produced, and whether it learned voices or only the synthesizer (§8). On a GPU with a
# prepared VoxCeleb subset, the same code trains ECAPA C=512 (§10).

# %%
# Setup. On Colab: install the course package (Colab's torch, torchaudio, numpy and
# ipywidgets are kept). Elsewhere: report versions and the device.
import subprocess
import sys

if "google.colab" in sys.modules:
    subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet", "course @ git+https://github.com/speaker-embeddings-course/speaker-embeddings-course@main"])

from course.env import report

print(report())

# %% tags=["parameters"]
from course.env import pick

POOLING = "ASTP"  # the course model's pooling (any registered name trains another, cached too)
MAP_SPEAKERS = pick(12, 4)  # test speakers drawn on the 2-D map
COHORT_TOP_K = pick(100, 10)  # AS-Norm: the top-k cohort scores of each side
SEED = 0

# %%
import matplotlib.pyplot as plt
import torch
from IPython.display import display

from course import baseline, train
from course.audio import read
from course.data import default_corpus
from course.data.augment import AugmentConfig
from course.data.degrade import CONDITION_TITLES, CONDITIONS
from course.data.wave_crops import WaveCrops
from course.env import is_smoke
from course.evaluate import embed_and_score, embed_files
from course.viz.scores import plot_det, plot_score_histograms
from course.viz.training import plot_training_curves

root = default_corpus()
torch.manual_seed(SEED)
# One thread: the models here are small and embed one utterance at a time; on a shared 2-core
# machine a second thread made such work several times slower (see course.train.robustness).
torch.set_num_threads(1)

# %% [markdown]
# ## 1. What the model trains on
#
# A training example is a random 2 s window (200 frames of 10 ms) of a training utterance, read from
# the waveform each time, so every epoch sees other windows. Before the fbank (notebook 01), the
# window may be changed in ways that keep the speaker but change the recording:
#
# - **additive noise** at a random SNR (5–20 dB): white, pink ($1/f$ power), or *babble*: 3–6 other
#   training utterances summed, the noise of a crowd; a folder of your own noise files works too;
# - **reverberation**: convolution with a synthetic room impulse response, a direct path followed by
#   Gaussian noise decaying by 60 dB in RT60 = 0.2–0.6 s (Polack's statistical model);
# - **gain**: ±6 dB (nearly invisible after CMN, which removes any constant in log-mel);
# - **speed perturbation** ×0.9 and ×1.1 (tempo and pitch together): it changes the voice, so each
#   speed-shifted copy of a speaker counts as a *new* speaker, as the Kaldi and WeSpeaker recipes do.
#
# Each draw comes from a random generator seeded by (seed, epoch, item): a crop is a pure function of
# those three numbers, whichever loader process computes it. This is what makes a resumed run end
# with exactly the weights of an uninterrupted one (§9).

# %%
clean = WaveCrops(root, chunk_frames=200, augment=None, seed=SEED)
variants = {
    "clean crop": clean,
    "noise only": WaveCrops(root, chunk_frames=200, seed=SEED, augment=AugmentConfig(
        noise_prob=1.0, reverb_prob=0.0, gain_prob=0.0, noise_kinds=("babble",), snr_db=(5.0, 5.0), speeds=())),
    "reverberation only": WaveCrops(root, chunk_frames=200, seed=SEED, augment=AugmentConfig(
        noise_prob=0.0, reverb_prob=1.0, gain_prob=0.0, rt60_s=(0.6, 0.6), speeds=())),
}
augmented = WaveCrops(root, chunk_frames=200, augment={}, seed=SEED)
print(f"{len(clean.speakers)} training speakers, {len(clean)} utterances; with speed perturbation: "
      f"{augmented.num_speakers} classes, {len(augmented)} examples an epoch")

fig, axes = plt.subplots(1, 4, figsize=(14, 3), sharey=True)
for ax, (name, data) in zip(axes, variants.items(), strict=False):
    ax.imshow(data[0][0].numpy(), origin="lower", aspect="auto", cmap="magma", extent=(0, 2, 0, 80))
    ax.set_title(name)
speed_copy = len(clean)  # item len(clean) + i is utterance i at speed 0.9: a new speaker
axes[3].imshow(augmented[speed_copy][0].numpy(), origin="lower", aspect="auto", cmap="magma", extent=(0, 2, 0, 80))
axes[3].set_title(f"speed ×0.9 + augmentation (class {augmented[speed_copy][1]})")
for ax in axes:
    ax.set_xlabel("time (s)")
axes[0].set_ylabel("mel bin")
fig.suptitle("One training utterance, four ways (log-mel fbank after CMN)")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 2. The baseline to beat
#
# Notebook 00's baseline learns nothing: the mean and standard deviation of the log-mel spectrum,
# scored by cosine. Its EER is where training starts from.
#
# **The scoring protocol**, the same in every notebook (`course.evaluate`): the mean embedding
# subtracted before cosine is estimated on *training* utterances (two of every training speaker);
# thresholds are chosen on the *development* trials (`veri_dev.txt`, SynthVox's speakers that are
# neither trained on nor tested); the test trials are scored once, after training. Every EER comes
# with its trial counts and a 95% interval from a bootstrap over test speakers (notebook 00).

# %%
from course.metrics import format_eer

base = baseline.evaluate(root)
print(f"baseline (mean+std log-mel, no training): {format_eer(base['interval'])}")

# %% [markdown]
# ## 3. Training, live
#
# `course.train.course_config()` is the recipe: `small_config`'s ECAPA-TDNN (C = 64, embedding 64,
# the SpeechBrain flavour) with ASTP, AAM-softmax (s = 32, margin ramped 0 → 0.2 over the first half),
# Adam with a 50-step warm-up then cosine decay to lr/20, batches of 32 crops, 800 steps. The model
# trains on one CPU thread while one DataLoader worker reads, augments and computes fbank on the other
# core. The validation EER every 200 steps is measured on the development trials; the threshold at the
# last one is what the model stores for `course.verify`. The test trials are scored once, at the end.
#
# `course_model()` trains it once and caches it: if notebook 03, 04 or 06 ran first, the curves are
# drawn from the cached run.

# %% tags=["screenshot:training-curve"]
GPU_PATH = False  # §10: switched on below when CUDA and a prepared VoxCeleb subset are both present
voxceleb = root.parent / "voxceleb-subset"
if torch.cuda.is_available() and (voxceleb / "voxceleb.json").is_file():
    GPU_PATH = True
    config = train.ecapa_voxceleb_config(str(voxceleb), steps=pick(20_000, 20))
    print(f"GPU path: ECAPA C=512 on {voxceleb}")
else:
    config = train.course_config(POOLING)

fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))
handle = display(fig, display_id=True)
plt.close(fig)


def live(state):
    if state["step"] % 25 == 0 or state["step"] == state["steps"] or (
            state["history"] and state["history"][-1]["step"] == state["step"]):
        plot_training_curves(state, axes, title="course model")
        fig.tight_layout()
        handle.update(fig)


result = train.cached_fit(config, callback=live)
plot_training_curves({"losses": result.losses, "accuracies": result.accuracies, "history": result.history,
                      "steps": config.steps}, axes, title="course model")
fig.tight_layout()
handle.update(fig)
how = "loaded from the cache" if result.from_cache else f"trained in {result.seconds:.0f} s"
print(f"{config.steps} steps, {how}; CPU time of the run: {result.cpu_seconds:.1f} s")
print(f"development EER (where the threshold is chosen): {100 * result.eer:.2f}%")
if result.test is not None:
    print(f"test trials, scored once: {format_eer(result.test)}")

# %% [markdown]
# The target of the course: at most 5% EER (aim: 3%) on the test trials within 5 minutes on 2 CPU
# cores, and better than the baseline by more than the intervals allow chance to explain.
# `benchmarks/train_course_model.py` measures the EER against wall-clock and CPU time.

# %%
if not is_smoke() and not GPU_PATH:
    test, reference = result.test, base["interval"]
    assert test["high"] <= 0.05 or test["eer"] <= 0.05, f"the course model should reach 5% EER: {format_eer(test)}"
    assert test["high"] < reference["low"], "the course model's interval should lie below the baseline's"
    print(f"✓ {format_eer(test)}; the baseline's interval starts at {100 * reference['low']:.2f}%")

# %% [markdown]
# ## 4. DET curves and score distributions
#
# The DET curve plots miss rate against false-alarm rate on normal-deviate axes (notebook 00);
# the EER is where it crosses the diagonal. The histograms show why: training pulls the target and
# non-target score distributions apart.

# %%
model = result.model.eval()
scored = embed_and_score(model, root)
fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
plot_det({"baseline": (base["scores"], base["labels"]), "course model": (scored["scores"], scored["labels"])},
         ax=axes[0],
         title="DET: baseline vs trained")
plot_score_histograms(base["scores"], base["labels"], ax=axes[1])
axes[1].set_title("baseline scores")
plot_score_histograms(scored["scores"], scored["labels"], ax=axes[2])
axes[2].set_title("course model scores")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 5. Three ways of scoring
#
# Plain cosine compares the two embeddings as they are. Subtracting the mean embedding first
# removes the direction that every embedding shares (the mean of training embeddings, as
# `course.evaluate` does: never of the files being scored). AS-Norm (adaptive symmetric score
# normalisation, Matejka et al., Interspeech 2017) standardises each score by the mean and standard
# deviation of the top-$k$ scores of each side against a *cohort* of other speakers, here the training utterances:
#
# $$\tilde s(a, b) = \tfrac12\left(\frac{s - \mu_a^{(k)}}{\sigma_a^{(k)}}
#   + \frac{s - \mu_b^{(k)}}{\sigma_b^{(k)}}\right).$$

# %%
from course.data.corpus import load_trials, read_split, speaker_of
from course.evaluate import mean_embedding, training_files, trial_files
from course.metrics import eer_interval
from course.scoring import as_norm, score_trials

trials = load_trials(root)
test_files = trial_files(trials)
embeddings = embed_files(model, test_files)
cohort_files = [p for _, p in read_split(root, "train")]
cohort = torch.stack(list(embed_files(model, cohort_files).values()))
mean = mean_embedding(embed_files(model, training_files(root)))  # training utterances only
raw, labels = score_trials(embeddings, trials)
centred, _ = score_trials(embeddings, trials, mean)
emb_a = torch.stack([embeddings[a] for _, a, _ in trials])
emb_b = torch.stack([embeddings[b] for _, _, b in trials])
normed = as_norm(centred, emb_a, emb_b, cohort, top_k=COHORT_TOP_K, mean=mean)
scoring = {"cosine": raw, "cosine, mean subtracted": centred, f"AS-Norm (top {COHORT_TOP_K}, mean subtracted)": normed}
sides = ([speaker_of(a) for _, a, _ in trials], [speaker_of(b) for _, _, b in trials])
print(f"{'scoring':40s}  EER [95% CI] over {int(labels.sum())} target / {int((1 - labels).sum())} non-target trials")
for name, scores in scoring.items():
    r = eer_interval(scores, labels, *sides)
    print(f"{name:40s} {100 * r['eer']:5.2f}% [{100 * r['low']:.2f}–{100 * r['high']:.2f}]")

# %% [markdown]
# ## 6. A map of unseen speakers
#
# t-SNE (van der Maaten & Hinton, 2008; written out in `course.viz.embedding_map`) places points in 2-D
# so that neighbours in the embedding space stay neighbours. None of these speakers was heard in
# training; each colour is one speaker, each point one utterance.

# %%
from course.viz.embedding_map import plot_embedding_map, tsne

speakers = sorted({p.parent.parent.name for p in test_files})[:MAP_SPEAKERS]
chosen = [p for p in test_files if p.parent.parent.name in speakers]
points = tsne(torch.nn.functional.normalize(torch.stack([embeddings[p] - mean for p in chosen]), dim=1),
              perplexity=pick(20, 5), seed=SEED)
fig, axes = plt.subplots(1, 2, figsize=(11, 4.8))
base_mean = mean_embedding(baseline.embed_files(training_files(root)))  # the same treatment for both maps
base_points = tsne(torch.nn.functional.normalize(torch.stack([baseline.stats_embedding(read(p)[0]) - base_mean
                                                              for p in chosen]), dim=1),
                   perplexity=pick(20, 5), seed=SEED)
plot_embedding_map(base_points, [p.parent.parent.name for p in chosen], ax=axes[0],
                   title="baseline (mean+std log-mel)")
plot_embedding_map(points, [p.parent.parent.name for p in chosen], ax=axes[1], title="course model")
axes[1].legend(fontsize=7, ncol=2, loc="center left", bbox_to_anchor=(1.0, 0.5))
fig.suptitle(f"t-SNE of {len(chosen)} test utterances of {len(speakers)} unseen speakers")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 7. Robustness: channels training never produced
#
# The test utterances are re-rendered through three harsh channels, each made by a generator that
# training augmentation does not have (`course.data.degrade`): the telephone band (300–3400 Hz,
# 8 kHz, 8-bit μ-law: training never band-limits); a Schroeder reverberator at RT60 1.2 s (training
# convolves with noise impulse responses at RT60 ≤ 0.6 s, another model of a room); and mains hum
# with crackle at SNR 0–5 dB (training noise is white, pink or babble at 5–20 dB). Three systems embed
# the same degraded audio: the baseline, the course model trained on clean crops only, and the course
# model trained with augmentation. Each cell is an EER with its 95% interval over the test speakers.
# This build trains one seed of each; `benchmarks/train_robustness.py` prints the same table for three
# training seeds of each course model and counts every claim seed by seed, so that one lucky seed cannot
# make it (`benchmarks/train_robustness_results.md`).

# %%
from course.train.robustness import format_table, model_embedder, robustness_table

no_augmentation = train.cached_fit(train.course_config(POOLING, augment=False))
systems = {"baseline": baseline.stats_embedding, "course model, no augmentation": model_embedder(no_augmentation.model),
           "course model, augmented": model_embedder(model)}
table = robustness_table(systems, root, progress=True)
print(format_table(table))
for condition in CONDITIONS:
    print(f"  {condition}: {CONDITION_TITLES[condition]}")

# %%
# An older version of this table showed the baseline *better* under telephone and reverb than on clean
# speech. It scored with the mean of the degraded test files themselves, a mean that adapts to each
# condition; scored with the training mean, is any degraded condition better for the baseline beyond
# its interval?
theirs_clean = table["baseline"]["clean"]
better = [c for c in CONDITIONS[1:] if table["baseline"][c]["high"] < theirs_clean["low"]]
print("conditions where the baseline does better than on clean speech beyond the intervals:", better or "none")
ours, theirs = table["course model, augmented"], table["baseline"]
apart = [c for c in CONDITIONS if ours[c]["high"] < theirs[c]["low"]]
print("conditions where the augmented model's interval lies below the baseline's:", apart or "none")
print("conditions where the intervals overlap (no claim made):", [c for c in CONDITIONS if c not in apart] or "none")
if not is_smoke() and not GPU_PATH:
    assert "clean" in apart and "telephone" in apart, "the course model should beat the baseline beyond doubt here"
    print("✓ on clean and telephone speech the augmented course model beats the baseline beyond its interval")

# %% [markdown]
# ## 8. Transfer: voices, or the synthesizer?
#
# Every number above is measured on SynthVox speakers the model never heard, but made by the
# synthesizer it trained on. Eighty espeak-ng voices can be told apart by the settings of a formant
# synthesizer (pitch range, formant scale, voice-source mode), and a model may learn exactly that
# instead of what tells *people* apart. The transfer benchmark
# (`python -m course.experiments transfer`, `course/experiments/transfer.py`) asks on four trial lists
# that no training here sees: the SynthVox test trials; **held-out voices** (espeak-ng languages
# training never uses, reading the same English sentences: `course.data.synthvox.HELD_OUT`);
# **council** (recorded meetings, notebook 12's cross-meeting trials); and **council through a
# telephone channel**. Each trained row adds ingredients to the course model:
# `+distill` pulls its embedding towards the VoxCeleb ECAPA's of the same audio (a teacher that heard
# 7,205 real speakers; `TrainConfig.distill`), `×10` weights that pull ten times more, and `centred`
# subtracts the mean of the teacher's training embeddings from every target first (raw, they share one
# large direction: two different voices have cosine 0.48, so a student that outputs that direction for
# everything already lowers the loss from 1 to 0.31: `benchmarks/teacher_targets_results.md`);
# `+channel` trains through random band-limiting and μ-law (`course.data.augment_channel`) with
# spectral masks; `+400spk` and `+1000spk` train on 400 or
# 1,000 SynthVox speakers instead of 80, in the same 800 steps; `+1400 steps` trains 1,400 steps instead
# of 800 (still under 5 minutes of wall clock on 2 cores: the cost lines say how long each took).
#
# The table is read from `results/transfer.jsonl`, what the command wrote, with its commit, machine and
# date: this cell trains nothing. Rerun the command to remake it on your machine.

# %%
from course.experiments.transfer_table import DEFAULT_OUT, SET_TITLES, latest, read_transfer
from course.experiments.transfer_table import format_table as transfer_table

transfer = latest(read_transfer(DEFAULT_OUT))
print(transfer_table(transfer))
made = sorted({(r["commit"][:7], r["date"], r["machine"]) for r in transfer})
print("\nmade by:", "; ".join(f"commit {c}, {d}, {m}" for c, d, m in made))

# %% [markdown]
# Read the second block first: the paired difference against the baseline (the same trials, the same
# bootstrap draws of speakers for both systems). The course model beats the no-training baseline on
# every set, SynthVox-made or recorded, beyond its interval: it has learned something about voices,
# not only about espeak-ng. Then look at the gap to the pretrained model on council (about 27% against
# 3%) and at the widths: council has 9 speakers and 211 target trials, so one interval spans some
# 20 points.
#
# The third block is how a recipe is chosen: each variant against the course model, paired, within
# the run that retrained both (the table lists the course model of each run: the same recipe, in a run
# on another machine, moved by 7 points on council through the telephone, a first measure of how far a
# small change on nine speakers can be trusted). The rule: better on some set, worse on none, SynthVox at 3% or less.
# Centred distillation has lower means than the course model on three of the four sets, but every one
# of its paired intervals crosses 0: nine council speakers cannot tell a few points from chance
# (notebook 11's lesson again). Distillation without centring, at either weight, is no better either.
# More speakers are *worse* on the SynthVox sets, and the more so the more speakers (400, then 1,000),
# even with 1,400 steps: with one or two crops a speaker seen a handful of times, five or twelve times
# the speakers are not learned as far; `+channel`'s harder crops cost it the same way.
#
# One variant meets the rule: `+1400 steps`, the course model trained 1,400 steps instead of 800, better
# on the SynthVox test alone. It is not adopted, and the reasons are stated rather than hidden: the gain
# is on the synthesizer's own voices, where the course model already sits near 2%, while none of the sets
# this benchmark exists for (held-out voices, council, telephone) moves beyond its interval; it takes 1.7
# times the training's wall clock (the cost lines below); and the third block holds 36 paired intervals,
# of which about two would exclude 0 at 95% by chance alone. A recipe is only ever compared at the
# budget it was given.

# %%
by = {(r["system"], r["set"]): r for r in transfer}
systems_measured = sorted({r["system"] for r in transfer}, key=[r["system"] for r in transfer].index)


def sets_where(name, key, side):
    """The sets on which the paired interval of ``name`` against ``key`` lies wholly below (or above) 0."""
    return [SET_TITLES[s] for s in SET_TITLES if key in by.get((name, s), {})
            and (by[(name, s)][key]["high"] < 0 if side == "below" else by[(name, s)][key]["low"] > 0)]


for name in systems_measured[1:]:
    print(f"{name:40s} beats the baseline beyond the paired interval on: "
          f"{'; '.join(sets_where(name, 'vs_no-training_baseline', 'below')) or 'no set'}")
print()
meets_rule = []  # better than the course model on some set, worse on none, <= 3% on SynthVox
for name in [n for n in systems_measured if n.startswith("+")]:
    better, worse = sets_where(name, "vs_course", "below"), sets_where(name, "vs_course", "above")
    print(f"{name:40s} against the course model (paired): better on {'; '.join(better) or 'no set'}; "
          f"worse on {'; '.join(worse) or 'no set'}")
    if better and not worse and by[(name, "synthvox")]["eer"] <= 0.03:
        meets_rule.append(name)
print("\nvariants that meet the rule:", ", ".join(meets_rule) or "none")
if all(("course", s) in by for s in SET_TITLES):
    assert all(by[("course", s)]["vs_no-training_baseline"]["high"] < 0 for s in SET_TITLES), \
        "the stored results no longer show the course model beating the baseline: rerun the transfer command"

# %% [markdown]
# The DET curves on council (recorded people, none heard in training) of the baseline, the course
# model, the centred-distillation model and the pretrained model, from the scores the benchmark stored:

# %%
import numpy as np

council = {name: (np.array(by[(name, "council")]["scores"]), np.array(by[(name, "council")]["labels"]))
           for name in ("no-training baseline", "course", "+centred distill×10", "pretrained VoxCeleb ECAPA")
           if (name, "council") in by and "scores" in by[(name, "council")]}
fig, ax = plt.subplots(figsize=(5.5, 5))
plot_det(council, ax=ax, title="DET on council (9 recorded speakers, cross-meeting)")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 9. Checkpoints, resuming, the command line, and using the model
#
# `fit(config, checkpoint=PATH)` saves everything (model, head, optimiser, schedulers, random states,
# the history) every `checkpoint_every` steps to a temporary file then renames it, so that a crash never
# leaves half a file; called again with the same path it resumes. Because crops and batches are
# drawn from (seed, epoch, item), the resumed run ends with *bit-identical* weights. Here, on a tiny
# model: stop a run after 3 steps, resume it, and compare with a run that never stopped. The stop is a
# *hook* (`course.train.hooks.Hooks`): `fit` asks `should_stop(state)` after every step and, when it
# says yes, writes a checkpoint and returns; `on_step` and `on_validate` are the hooks for watching a
# run (`callback=` of the live curves above is a shorthand for them).

# %%
import tempfile
from pathlib import Path

from course.train.hooks import Hooks

tiny = train.small_config(POOLING, steps=6, batch_size=8, chunk_frames=100, checkpoint_every=3, warmup_steps=0,
                          model_kwargs={"channels": 16, "embed_dim": 16, "scale": 4, "se_bottleneck": 8,
                                        "flavour": "speechbrain"})
stop_after_three = Hooks(should_stop=lambda state: state["step"] == 3)  # as if the learner pressed stop
with tempfile.TemporaryDirectory() as folder:
    path = Path(folder) / "run.pt"
    stopped = train.fit(tiny, progress=False, checkpoint=path, hooks=stop_after_three)
    print(f"stopped after step {len(stopped.losses)}; the checkpoint holds step "
          f"{torch.load(path, weights_only=False)['state']['step']}")
    resumed = train.fit(tiny, progress=False, checkpoint=path)
straight = train.fit(tiny, progress=False)
same = all(torch.equal(a, b) for a, b in zip(resumed.model.state_dict().values(),
                                              straight.model.state_dict().values(), strict=True))
assert same
print("resumed run and uninterrupted run: bit-identical weights")

# %% [markdown]
# Longer runs go through the command line, with a YAML config (`configs/`), a progress bar with loss,
# accuracy and utterances per second, `log.csv` and `history.json` in the run folder, and resuming
# when started again:
#
# ```
# python -m course.train --config configs/course_cpu.yaml            # this notebook's model
# python -m course.train --config configs/course_cpu.yaml --set steps=2000 augment.noise_prob=0.8
# torchrun --nproc_per_node=4 -m course.train --config configs/ecapa_c512_voxceleb.yaml
# ```
#
# A NaN or infinite loss stops the run with a message naming the step and the last good checkpoint
# (kept); an unreadable or empty training file is skipped and reported. The run's `model.pt` holds
# the weights, the mean embedding and the threshold at the validation EER; `course.verify` uses it:
#
# ```
# python -m course.verify a.wav b.wav --checkpoint runs/course_cpu/model.pt
# python -m course.verify --embed my_recordings/ --out embeddings.pt --checkpoint runs/course_cpu/model.pt
# ```
#
# Here, on two test utterances of the same speaker and two of different speakers:

# %%
from course import verify
from course.train.export import save_model

target = next((a, b) for label, a, b in trials if label == 1)
nontarget = next((a, b) for label, a, b in trials if label == 0)
with tempfile.TemporaryDirectory() as folder:
    saved = save_model(Path(folder) / "model.pt", result)
    for a, b in (target, nontarget):
        print(f"{a.parent.parent.name} vs {b.parent.parent.name}:")
        verify.main([str(a), str(b), "--checkpoint", str(saved)])

# %% [markdown]
# ## 10. On a GPU: ECAPA C=512 on VoxCeleb
#
# With CUDA and a prepared VoxCeleb subset (`data/voxceleb-subset`, written by
# `python -m course.data voxceleb prepare --root /path/to/VoxCeleb1 --out data/voxceleb-subset`;
# see `data/README.md`), §3 switches to `course.train.ecapa_voxceleb_config`: ECAPA-TDNN C = 512
# (WeSpeaker flavour, embedding 192) on VoxCeleb1-dev speakers (the Vox1-O test speakers are always
# excluded), scored on Vox1-O (cleaned, `veri_test2.txt`), with bf16 autocast, SGD 0.1 → 5·10⁻⁵ with a
# warm-up, speed perturbation, noise and reverberation, 8 loader workers. For reference, WeSpeaker
# reports 1.07% EER on Vox1-O for ECAPA C=512 trained on the much larger VoxCeleb2 dev set
# (examples/voxceleb/v2); a VoxCeleb1-dev subset has fewer speakers and should be expected to do
# worse. This project had no GPU when this notebook was written, so no GPU run time is stated here.
# Several GPUs or machines: `torchrun` (README, "Training").

# %%
print(f"GPU path active: {GPU_PATH} (CUDA available: {torch.cuda.is_available()}, "
      f"prepared VoxCeleb subset: {(voxceleb / 'voxceleb.json').is_file()})")

# %% [markdown]
# ## Exercises
#
# **Exercise 1.** Write `add_noise(speech, noise, snr_db)`: scale the noise so that the ratio of the
# speech power to the scaled noise power (mean of squares) is $10^{\mathrm{SNR}/10}$, and add it.

# %%
from course.checks.training import check_add_noise, check_as_norm, check_lr_schedule


def add_noise(speech, noise, snr_db):
    # your code here
    return speech + noise


check_add_noise(add_noise)

# %% tags=["solution"] jupyter={"source_hidden": true}
def add_noise(speech, noise, snr_db):
    gain = torch.sqrt(speech.pow(2).mean() / noise.pow(2).mean() / 10 ** (snr_db / 10))
    return speech + gain * noise


assert check_add_noise(add_noise)

# %% [markdown]
# **Exercise 2.** Write the learning-rate factor `lr_factor(step, steps, warmup, final)`: linear warm-up
# $(\mathrm{step}+1)/\mathrm{warmup}$ for the first `warmup` steps, then a cosine from 1 down to `final`
# at `steps`. Plot it for the course model's values (800, 50, 0.05).

# %%
def lr_factor(step, steps, warmup, final):
    # your code here
    return 1.0


check_lr_schedule(lr_factor)

# %% tags=["solution"] jupyter={"source_hidden": true}
import math


def lr_factor(step, steps, warmup, final):
    if step < warmup:
        return (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, steps - warmup))
    return final + (1 - final) * 0.5 * (1 + math.cos(math.pi * progress))


assert check_lr_schedule(lr_factor)

# %% [markdown]
# **Exercise 3.** Write AS-Norm `as_norm(scores, emb_a, emb_b, cohort, top_k)` without mean subtraction:
# for each side, the cosine scores against every cohort embedding, their top-$k$, its mean and
# (unbiased) standard deviation; then the formula of §5. Does it help at all here? Compare the intervals
# of §5 before you answer: on this corpus it need not.

# %%
def as_norm_by_hand(scores, emb_a, emb_b, cohort, top_k):
    # your code here
    return scores


check_as_norm(as_norm_by_hand)

# %% tags=["solution"] jupyter={"source_hidden": true}
def as_norm_by_hand(scores, emb_a, emb_b, cohort, top_k):
    cohort = torch.nn.functional.normalize(cohort, dim=1)

    def stats(emb):
        top = (torch.nn.functional.normalize(emb, dim=1) @ cohort.T).topk(top_k, dim=1).values
        return top.mean(1), top.std(1)

    (mu_a, sd_a), (mu_b, sd_b) = stats(emb_a), stats(emb_b)
    return 0.5 * ((scores - mu_a) / sd_a + (scores - mu_b) / sd_b)


assert check_as_norm(as_norm_by_hand)
