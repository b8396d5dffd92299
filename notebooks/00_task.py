# %% [markdown]
# # 00 · The task: speaker verification
#
# Speaker verification decides whether two recordings were spoken by the same person. Modern
# systems map each recording to a fixed-size *speaker embedding* and compare embeddings with a
# cosine score; the rest of the course builds those embeddings piece by piece. This notebook sets
# the stage: it opens the course's offline corpus and lets you listen to its voices, explains what
# a *trial* is, scores the trial list with a baseline that learns nothing (the mean and standard
# deviation of the log-mel spectrum), and measures it the way every paper does: EER, minDCF and
# the DET curve.

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

VOICES = pick(3, 2)  # speakers to listen to
MEAN_UTTERANCES = pick(400, 40)  # training utterances the scoring mean is estimated on
SECONDS_SHOWN = 3.0  # seconds of each waveform drawn
SEED = 0

# %% [markdown]
# ## The corpus: SynthVox
#
# Real speaker-verification corpora (VoxCeleb) are tens of gigabytes and need registration, so
# the course ships a generator instead: **SynthVox** synthesises speech offline with espeak-ng,
# one voice per speaker (accent, pitch, vocal-tract length, voice quality, speaking rate), and
# records each speaker in several *sessions*, each with its own channel (band limit, colouring,
# noise at some SNR, level), just as a VoxCeleb speaker appears in several YouTube videos. It is
# written in the VoxCeleb1 layout, `wav/<speaker>/<session>/<utterance>.wav`, with VoxCeleb's
# split and trial files, so everything below runs unchanged on the real thing
# (see `data/README.md`). The first call generates it (seconds) and caches it.

# %%
import json

import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import Audio, display

from course.audio import read
from course.data import default_corpus
from course.data.corpus import load_trials, read_split

root = default_corpus()
meta = json.loads((root / "metadata.json").read_text())
train, test = read_split(root, "train"), read_split(root, "test")
print(f"corpus: {root}")
print(f"{len({s for s, _ in train})} training speakers ({len(train)} utterances), "
      f"{len({s for s, _ in test})} test speakers ({len(test)} utterances)")

# %% [markdown]
# Listen to a few speakers, each in two of its sessions. The voice should stay while the
# channel changes: that is the variability a speaker embedding must ignore.

# %%
from course.viz.features import plot_waveform

speakers = sorted(meta["speakers"])[:VOICES]
fig, axes = plt.subplots(VOICES, 2, figsize=(10, 1.9 * VOICES), squeeze=False)
for row, spk in enumerate(speakers):
    voice = meta["speakers"][spk]["voice"]
    sessions = sorted((root / "wav" / spk).iterdir())[:2]
    for col, session in enumerate(sessions):
        path = sorted(session.glob("*.wav"))[0]
        wave, rate = read(path)
        channel = meta["speakers"][spk]["sessions"][session.name]
        label = (f"{spk} ({voice['gender']}, {voice['accent']}, {voice['pitch_base']} Hz), session {col + 1}: "
                 f"SNR {channel['snr_db']:.0f} dB, band {channel['highpass_hz']:.0f}-{channel['lowpass_hz']:.0f} Hz")
        print(label)
        display(Audio(wave.numpy(), rate=rate))
        plot_waveform(wave[: int(SECONDS_SHOWN * rate)], rate, ax=axes[row, col], title=f"{spk}, session {col + 1}")
fig.tight_layout()

# %% [markdown]
# ## What a trial is
#
# A verification system answers one question: *are these two recordings the same speaker?* A
# **trial** is a pair (enrolment, test) with the truth: `1` (target, same speaker) or `0`
# (non-target). The trial list uses VoxCeleb's `veri_test2.txt` format, one trial per line; the
# test speakers appear in no training file. A system gives each trial a **score**; a threshold
# $\theta$ turns scores into decisions: accept when $s \ge \theta$.

# %%
print((root / "veri_test2.txt").read_text().splitlines()[:4])
trials = load_trials(root)
labels = np.array([label for label, _, _ in trials])
print(f"{len(trials)} trials: {labels.sum()} target, {(1 - labels).sum()} non-target")

# %% [markdown]
# ## A baseline with no training
#
# Describe each utterance by the mean and the standard deviation over time of its log-mel
# filterbank $X \in \mathbb{R}^{80 \times T}$ (notebook 01 builds it):
#
# $$e = \begin{bmatrix} \mu \\ \sigma \end{bmatrix}, \quad \mu_c = \frac{1}{T}\sum_t X_{ct}, \quad
# \sigma_c = \sqrt{\frac{1}{T}\sum_t (X_{ct} - \mu_c)^2},$$
#
# and score a trial by the cosine of the two embeddings after subtracting a mean embedding $m$ (the
# direction they all share). The mean is estimated on *training* utterances, as `course.scoring`
# expects: the test speakers stay unseen until they are scored.
#
# $$s(a, b) = \frac{(e_a - m)^\top (e_b - m)}{\lVert e_a - m \rVert\, \lVert e_b - m\rVert}.$$
#
# First by hand, then compared with `course.baseline` and `course.scoring`.

# %%
from course.baseline import stats_embedding
from course.checks import derive
from course.features import fbank
from course.scoring import cosine_scores


def mean_std_embedding(path):
    feats = fbank(read(path)[0], mean_norm=False)  # (80, T); no mean normalisation: the mean is the feature
    mu = feats.mean(dim=1)
    sigma = ((feats - mu[:, None]) ** 2).mean(dim=1).sqrt()
    return torch.cat([mu, sigma])


files = sorted({p for _, a, b in trials for p in (a, b)})
embeddings = {path: mean_std_embedding(path) for path in files}
derive(embeddings[files[0]], stats_embedding(read(files[0])[0]), name="[mu; sigma]", atol=1e-4)

train_files = [path for _, path in train][:: max(1, len(train) // MEAN_UTTERANCES)]
m = torch.stack([mean_std_embedding(path) for path in train_files]).mean(0)
print(f"mean m estimated on {len(train_files)} training utterances")
a = torch.stack([embeddings[e] for _, e, _ in trials]) - m
b = torch.stack([embeddings[t] for _, _, t in trials]) - m
scores = ((a * b).sum(1) / (a.norm(dim=1) * b.norm(dim=1))).numpy()
derive(scores, cosine_scores(a + m, b + m, mean=m), name="cosine scores")

# %% [markdown]
# ## Error rates, EER and minDCF
#
# At threshold $\theta$ the system makes two kinds of error:
#
# $$P_\text{miss}(\theta) = \frac{\#\{\text{targets with } s < \theta\}}{\#\text{targets}}, \qquad
# P_\text{fa}(\theta) = \frac{\#\{\text{non-targets with } s \ge \theta\}}{\#\text{non-targets}}.$$
#
# Raising $\theta$ trades false alarms for misses. The **equal error rate** (EER) is the rate
# where the two are equal (interpolated between the two thresholds that straddle it). The
# **detection cost** weighs them by how rare targets are:
# $C_\text{det} = C_\text{miss} P_\text{miss} P_\text{target} + C_\text{fa} P_\text{fa}(1 - P_\text{target})$,
# and **minDCF** is its minimum over $\theta$, divided by the cost of always answering the cheaper
# trivial answer, $\min(C_\text{miss} P_\text{target}, C_\text{fa}(1 - P_\text{target}))$ (NIST SRE;
# VoxCeleb reports $P_\text{target} = 0.01$ or $0.05$ with $C_\text{miss} = C_\text{fa} = 1$). Below, the
# error rates at every threshold by hand, then the library's EER and minDCF.

# %%
from course import metrics

target, nontarget = scores[labels == 1], scores[labels == 0]
thresholds = np.sort(scores)
p_miss = np.array([(target < t).mean() for t in thresholds])
p_fa = np.array([(nontarget >= t).mean() for t in thresholds])
k = int(np.argmin(np.abs(p_miss - p_fa)))
print(f"by hand: at threshold {thresholds[k]:.3f}, P_miss = {p_miss[k]:.3f} and P_fa = {p_fa[k]:.3f}")

eer, threshold = metrics.eer(scores, labels, return_threshold=True)
dcf01, dcf05 = metrics.min_dcf(scores, labels, 0.01), metrics.min_dcf(scores, labels, 0.05)
print(f"baseline: EER {100 * eer:.1f}% (its interval below), minDCF(0.01) {dcf01:.3f}, minDCF(0.05) {dcf05:.3f}")
# The hand value is read at one threshold, the library interpolates between two: they may
# differ by at most one step of the error-rate staircase.
step = 1 / min(len(target), len(nontarget))
print(f"|library EER − hand (P_miss + P_fa)/2| = {abs(eer - (p_miss[k] + p_fa[k]) / 2):.4f} "
      f"(one step of the staircase: {step:.4f})")
derive(eer, (p_miss[k] + p_fa[k]) / 2, name="EER, library vs by hand", atol=step, rtol=0)

# %% [markdown]
# ## How sure is an EER? An interval from a bootstrap over speakers
#
# An EER is measured on one trial list, and another list of other speakers would give another
# number. The textbook interval treats the trials as independent coin flips (binomial:
# $\hat e \pm 1.96\sqrt{\hat e(1-\hat e)/N_\text{target}}$), but they are not: every trial reuses
# a few speakers and files, so one hard speaker moves hundreds of trials at once. The course
# therefore resamples **speakers**: draw the test speakers with replacement (speaker $s$ drawn
# $m_s$ times), count a target trial of $s$ $m_s$ times and a non-target trial of $a$ and $b$
# $m_a m_b$ times (every pair of drawn copies), recompute the EER, repeat 1,000 times, and keep the
# middle 95% (`course.metrics.eer_interval`). Every EER the course prints carries this interval and
# its trial and speaker counts; a claim that one system beats another holds only if the intervals
# (or a paired test) support it. minDCF is shown only where the non-target count can resolve it:
# one false alarm costs about $(1-P_\text{target})/(P_\text{target} N_\text{non})$ of the normalised
# cost, and the course asks that to be at most 0.1 (`course.metrics.min_dcf_resolvable`: 990
# non-targets at $P_\text{target} = 0.01$).

# %%
speaker_a = [e.parts[-3] for _, e, _ in trials]  # wav/<speaker>/<session>/<utt>.wav
speaker_b = [t.parts[-3] for _, _, t in trials]
interval = metrics.eer_interval(scores, labels, speaker_a, speaker_b)
print("baseline:", metrics.format_eer(interval))
binomial = 1.96 * np.sqrt(eer * (1 - eer) / labels.sum())
print(f"the binomial interval would claim ±{100 * binomial:.2f} points; the speaker bootstrap gives "
      f"{100 * interval['low']:.2f}–{100 * interval['high']:.2f}")
if not metrics.min_dcf_resolvable(interval["nontargets"], 0.01):
    print(f"minDCF(0.01) is not resolvable with {interval['nontargets']} non-target trials")

# %% [markdown]
# The **DET curve** plots $P_\text{miss}$ against $P_\text{fa}$ over every threshold, both on a
# normal-deviate (probit) scale, where two Gaussian score distributions give a straight line.
# The score histograms show where the overlap comes from.

# %%
from course.viz.scores import plot_det, plot_score_histograms

raw = cosine_scores(a + m, b + m).numpy()  # the same without mean subtraction
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.4))
plot_det({"mean+std, cosine": (scores, labels), "no mean subtraction": (raw, labels)}, ax=ax1,
         title="DET curve of the no-training baseline")
plot_score_histograms(scores, labels, ax=ax2, title="Baseline scores")
fig.tight_layout()

# %% [markdown]
# At the EER threshold the error rate printed above is far from zero. The average spectrum hears
# the channel as much as the voice. To see it, pair the test utterances of each speaker two ways:
# within one session (same channel) and across two sessions (two channels). Same-session pairs score
# higher than cross-session ones although the speaker is the same in both (a speaker embedding
# should score them alike; training across sessions teaches it that):

# %%
from itertools import combinations

same_pairs, cross_pairs = [], []
for a_path, b_path in combinations(files, 2):
    if a_path.parent.parent == b_path.parent.parent:  # same speaker
        (same_pairs if a_path.parent == b_path.parent else cross_pairs).append((a_path, b_path))


def pair_scores(pairs):
    return cosine_scores(torch.stack([embeddings[p] for p, _ in pairs]),
                         torch.stack([embeddings[q] for _, q in pairs]), mean=m).numpy()


same, cross = pair_scores(same_pairs), pair_scores(cross_pairs)
print(f"same speaker, same session:       {len(same):5d} pairs, mean score {same.mean():.3f}")
print(f"same speaker, different sessions: {len(cross):5d} pairs, mean score {cross.mean():.3f}")
print(f"different speakers (non-target trials): mean score {nontarget.mean():.3f}")
non_pairs = [(e, t) for label, e, t in trials if label == 0]
for name, targets, pairs in (("same-session", same, same_pairs), ("cross-session", cross, cross_pairs)):
    pooled, truth = np.r_[targets, nontarget], np.r_[np.ones(len(targets)), np.zeros(len(nontarget))]
    sides = [(p.parts[-3], q.parts[-3]) for p, q in list(pairs) + non_pairs]
    result = metrics.eer_interval(pooled, truth, [a for a, _ in sides], [b for _, b in sides])
    print(f"{name} pairs against the non-target trials: {metrics.format_eer(result)}")
assert same.mean() > cross.mean(), "the baseline should favour pairs that share a channel"

# %% [markdown]
# Everything that follows (features, frame-level networks, pooling, margin heads) exists to do
# better than this baseline.
#
# ## Exercises
#
# **1. Cosine scoring.** Write `cosine(emb_a, emb_b)` returning the row-wise cosine similarity of two
# `(N, D)` tensors.

# %%
from course.checks.verification import assert_passes, check_cosine, check_eer, check_error_rates


def cosine(emb_a, emb_b):
    return None  # your code here


check_cosine(cosine)

# %% tags=["solution"] jupyter={"source_hidden": true}
def cosine(emb_a, emb_b):
    return (emb_a * emb_b).sum(-1) / (emb_a.norm(dim=-1) * emb_b.norm(dim=-1))


assert_passes(check_cosine(cosine))

# %% [markdown]
# **2. Error rates.** Write `error_rates(scores, labels, threshold)` returning `(P_miss, P_fa)`,
# accepting a trial when its score is at least the threshold (numpy arrays in, floats out).

# %%
def error_rates(scores, labels, threshold):
    return None  # your code here


check_error_rates(error_rates)

# %% tags=["solution"] jupyter={"source_hidden": true}
def error_rates(scores, labels, threshold):
    scores, labels = np.asarray(scores), np.asarray(labels).astype(bool)
    return float(np.mean(scores[labels] < threshold)), float(np.mean(scores[~labels] >= threshold))


assert_passes(check_error_rates(error_rates))

# %% [markdown]
# **3. The EER.** Write `equal_error_rate(scores, labels)`: sort the scores, compute both error
# rates at every cut between distinct scores (from accept-all to reject-all), find the first cut
# where $P_\text{miss} \ge P_\text{fa}$, and interpolate linearly with the cut before it.

# %%
def equal_error_rate(scores, labels):
    return None  # your code here


check_eer(equal_error_rate)

# %% tags=["solution"] jupyter={"source_hidden": true}
def equal_error_rate(scores, labels):
    scores, labels = np.asarray(scores, float), np.asarray(labels).astype(bool)
    cuts = np.r_[np.unique(scores), np.inf]
    miss = np.array([np.mean(scores[labels] < t) for t in cuts])
    fa = np.array([np.mean(scores[~labels] >= t) for t in cuts])
    k = int(np.argmax(miss - fa >= 0))
    if k == 0 or miss[k] == fa[k]:
        return miss[k]
    d0, d1 = miss[k - 1] - fa[k - 1], miss[k] - fa[k]
    return miss[k - 1] + (-d0 / (d1 - d0)) * (miss[k] - miss[k - 1])


assert_passes(check_eer(equal_error_rate))
