# %% [markdown]
# # 13 · From a score to a decision
#
# Every notebook so far stopped at the EER: a number that says how well scores *separate* targets
# from non-targets, measured at a threshold chosen in hindsight. A deployed system has no
# hindsight. It needs a threshold fixed in advance, for an operating point (how rare are targets?
# what does a false accept cost?), on audio that may be shorter, noisier or from another domain than
# anything it was tuned on. This notebook answers the questions users of every toolkit ask: which
# threshold, what a score means, why a short utterance fails, how to enrol, what goes wrong when
# scoring by hand. Two systems side by side: the course model (notebook 10, SynthVox) and the
# VoxCeleb ECAPA (notebook 12) on recorded council meetings. Every EER carries its interval.

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

MAX_SECONDS = pick(8.0, 2.0)  # council clips cut to their middle MAX_SECONDS
DURATIONS = pick((0.5, 1.0, 2.0), (0.5, 1.0))  # test-segment lengths (s); enrolment stays full length
LOOP_TRIALS = pick(300, 20)  # trials scored one pair at a time in the pitfall of §6
ENROL_SETS = pick(4, 2)  # enrolment sets drawn per speaker in §5 (each scored against every test recording)
THREADS = 2
SEED = 0

# %% [markdown]
# ## 1. Two systems, each with a development list
#
# The course's protocol (`course.evaluate`): thresholds and calibrations are fitted on
# **development** trials, never on the trials being scored. For the course model that is SynthVox's
# development list (`veri_dev.txt`, speakers neither trained on nor tested). The council recordings
# have no such list, so we split their 9 speakers: the first four (alphabetically) are the
# *council development* speakers, the others the *council test* speakers; trials stay inside one
# half, and every trial compares two different meetings. Scores are cosines: the course model
# subtracts the mean of its training embeddings, the VoxCeleb ECAPA is scored as SpeechBrain scores
# it (plain cosine).

# %%
import time

import matplotlib.pyplot as plt
import numpy as np
import torch

from course import metrics
from course.audio import read
from course.calibration import LinearCalibration, actual_dcf, bayes_threshold, cllr, min_cllr
from course.data import council, default_corpus
from course.data.corpus import DEV_TRIAL_FILE, load_trials, speaker_of
from course.embedding_cache import cached_embed_files, cached_embed_waves
from course.env import is_smoke
from course.evaluate import embed_waves, mean_embedding, training_files, trial_files
from course.real_material import real_or_stand_ins
from course.scoring import score_trials
from course.train import course_model

torch.set_num_threads(THREADS)
cpu_start, wall_start = time.process_time(), time.perf_counter()
real_model, _, _, council_root, REAL = real_or_stand_ins(MAX_SECONDS, SEED)  # as in notebook 12
CHECK_CLAIMS = REAL and not is_smoke()

synthvox_root = default_corpus()
trained = course_model()
small = trained.model.eval()
waves = {}  # path → waveform, read once


def wave_of(path):
    if path not in waves:
        waves[path] = read(path)[0]
    return waves[path]


def sides(trials):
    return [speaker_of(a) for _, a, _ in trials], [speaker_of(b) for _, _, b in trials]


def scored(embeddings, trials, mean=None):
    """Scores, labels and the EER with its interval over speakers."""
    scores, labels = score_trials(embeddings, trials, mean)
    return scores.numpy(), labels.numpy(), metrics.eer_interval(scores, labels, *sides(trials))


# The course model on SynthVox: mean from training utterances, dev and test trials.
sv_dev, sv_test = load_trials(synthvox_root, DEV_TRIAL_FILE), load_trials(synthvox_root)
sv_mean = mean_embedding(embed_waves(small, {p: wave_of(p) for p in training_files(synthvox_root)}))
sv_emb = embed_waves(small, {p: wave_of(p) for p in trial_files(sv_dev + sv_test)})
sv = {"dev": scored(sv_emb, sv_dev, sv_mean), "test": scored(sv_emb, sv_test, sv_mean)}

# The VoxCeleb ECAPA on council: every cross-meeting pair, split by speaker halves.
every = load_trials(council_root, council.ALL_TRIALS_FILE) if REAL else load_trials(council_root)
names = sorted({speaker_of(p) for p in trial_files(every)})
dev_speakers = set(names[: max(2, len(names) * 4 // 9)])
half = {"dev": [t for t in every if {speaker_of(t[1]), speaker_of(t[2])} <= dev_speakers],
        "test": [t for t in every if not {speaker_of(t[1]), speaker_of(t[2])} & dev_speakers]}
council_files = trial_files(every)
real_emb = cached_embed_files(real_model, council_files)  # computed by notebook 12 when it ran first
real = {k: scored(real_emb, t) for k, t in half.items()}
# The course model on council too (its mean: SynthVox training utterances, its own training data).
small_council = embed_waves(small, {p: wave_of(p) for p in council_files})
small_on_council = {k: scored(small_council, t, sv_mean) for k, t in half.items()}

for name, result in (("course model, SynthVox dev", sv["dev"]), ("course model, SynthVox test", sv["test"]),
                     ("VoxCeleb ECAPA, council dev", real["dev"]), ("VoxCeleb ECAPA, council test", real["test"]),
                     ("course model, council test", small_on_council["test"])):
    print(f"{name:30s} {metrics.format_eer(result[2])}")
print(f"council development speakers: {', '.join(sorted(dev_speakers))}")

# %% [markdown]
# ## 2. The threshold lab
#
# A threshold turns scores into decisions: false accepts (non-targets above it) and false rejects
# (targets below it). Move it and watch the counts, the point on the DET curve, and the **actual
# DCF** (the cost of *this* threshold) against the **minimum DCF** (the best threshold in
# hindsight, what papers report). The prior slider sets $P_\text{target}$, how often a trial is a
# target in the application. A calibrated system (§3) turns it into a threshold by Bayes' rule; a
# raw cosine cannot: 0.25 (SpeechBrain's default), 0.5 and 0.7 (other toolkits' defaults) are
# numbers that happened to suit someone's data.

# %%
from course.widgets.threshold import threshold_lab

sv_cal = LinearCalibration.fit(sv["dev"][0], sv["dev"][1])
real_cal = LinearCalibration.fit(real["dev"][0], real["dev"][1])
lab = threshold_lab({"course model, SynthVox test": (sv["test"][0], sv["test"][1], sv_cal),
                     "VoxCeleb ECAPA, council test": (real["test"][0], real["test"][1], real_cal),
                     "VoxCeleb ECAPA, council test (uncalibrated view)": (real["test"][0], real["test"][1], None)})
lab

# %% [markdown]
# ## 3. Calibration: scores to log-likelihood ratios
#
# A **log-likelihood ratio** $\text{LLR} = \log p(s\mid\text{target}) / p(s\mid\text{non-target})$ says
# how much a score should move a prior belief. A linear map $\text{LLR} = a s + b$, fitted on the
# development trials by prior-weighted logistic regression (`course.calibration`), is the standard
# recipe (the BOSARIS toolkit's, WeSpeaker's). With LLRs the Bayes decision is: accept when
#
# $$\text{LLR} \ge -\operatorname{logit} P_\text{target} + \log\frac{C_\text{fa}}{C_\text{miss}}.$$
#
# **Cllr** scores the LLRs themselves,
#
# $$C_\text{llr} = \tfrac12\Big[\overline{\log_2(1+e^{-\text{LLR}})}_\text{tar}
#   + \overline{\log_2(1+e^{\text{LLR}})}_\text{non}\Big],$$
#
# the means over target and non-target trials: 0 is perfect, 1 is a system that always answers
# LLR = 0. **minCllr** is the Cllr after the best monotone recalibration (PAV): what remains is
# discrimination, the difference is calibration loss. Raw cosines read as LLRs are badly calibrated;
# calibrated on the development list, the test Cllr falls towards its floor (the table says how far).

# %%
from course.viz.decision import plot_reliability

rows = []
for name, (test, cal) in {"course model (SynthVox)": (sv["test"], sv_cal),
                          "VoxCeleb ECAPA (council)": (real["test"], real_cal)}.items():
    s, y = test[0], test[1]
    rows.append((name, cllr(s, y), cllr(cal(s), y), min_cllr(s, y), cal))
print(f"{'test trials':28s} {'Cllr raw':>9s} {'calibrated':>11s} {'minCllr':>8s}   calibration (fitted on dev)")
for name, raw, calibrated, floor, cal in rows:
    print(f"{name:28s} {raw:9.3f} {calibrated:11.3f} {floor:8.3f}   {cal}")
if CHECK_CLAIMS:
    for name, raw, calibrated, floor, _ in rows:
        assert floor <= calibrated + 1e-9 < raw, f"{name}: calibration on dev should lower the test Cllr"
    print("✓ calibrating on the development trials lowers the test Cllr of both systems")

fig, axes = plt.subplots(1, 2, figsize=(10, 4.6))
for ax, (name, test, cal) in zip(axes, [("course model, SynthVox test", sv["test"], sv_cal),
                                        ("VoxCeleb ECAPA, council test", real["test"], real_cal)]):
    s, y = test[0], test[1]
    plot_reliability({"raw cosine read as LLR": s, "calibrated on dev": cal(s)}, y, prior=y.mean(), ax=ax,
                     title=f"Reliability: {name}")
fig.tight_layout()
plt.show()

# %% [markdown]
# ### A calibration carried to another domain
#
# The EER only depends on the order of the scores, so any increasing map leaves it unchanged. The
# *cost* depends on the threshold, which is what a calibration fixes. Fit it on one domain, apply it
# on another, and the decisions go wrong while the EER does not move. Two transfers: the course model
# calibrated on SynthVox and applied to council speech; the VoxCeleb ECAPA calibrated on clean council
# speech and applied to the same speech through a telephone channel (`course.data.degrade.telephone`).
# Then recalibrate on a little in-domain data (the council development half, through the same channel).

# %%
from course.data.degrade import telephone

phone_emb = cached_embed_waves(real_model, {p: telephone(wave_of(p)) for p in council_files})  # kept on disk
phone = {k: scored(phone_emb, t) for k, t in half.items()}
P = 0.05  # the operating point of this table
transfers = [("course model: SynthVox → council", sv_cal, small_on_council),
             ("VoxCeleb ECAPA: clean → telephone", real_cal, phone)]
print(f"actual DCF at P_target = {P}, Bayes threshold {bayes_threshold(P):.2f}; test = council test speakers")
print(f"{'':58s} {'EER % [95% CI]':>20s} {'Cllr':>6s} {'act DCF':>8s} {'min DCF':>8s}")
table = {}
for name, carried, target in transfers:
    s, y, interval = target["test"]
    local = LinearCalibration.fit(target["dev"][0], target["dev"][1])
    for how, cal in (("carried over", carried), ("recalibrated in-domain", local)):
        llr = cal(s)
        row = (100 * interval["eer"], cllr(llr, y), actual_dcf(llr, y, bayes_threshold(P), P), metrics.min_dcf(s, y, P))
        table[(name, how)] = row
        ci = f"{row[0]:.1f} [{100 * interval['low']:.1f}–{100 * interval['high']:.1f}]"
        print(f"{name + ', ' + how:58s} {ci:>20s} {row[1]:6.3f} {row[2]:8.3f} {row[3]:8.3f}")
print(f"({interval['targets']} target / {interval['nontargets']} non-target test trials, {interval['speakers']} "
      f"speakers; minDCF({P}) resolvable: {metrics.min_dcf_resolvable(interval['nontargets'], P)})")
if CHECK_CLAIMS:
    for name, _, _ in transfers:
        assert table[(name, "recalibrated in-domain")][1] < table[(name, "carried over")][1], name
    print("✓ recalibrating on in-domain development data lowers the Cllr of both transfers; the EER is the same")

# %% [markdown]
# Read the cost columns as well as Cllr. Cllr averages over every operating point; the actual DCF
# is one of them. A calibration fitted on a handful of in-domain speakers can improve the first and
# still move the threshold of one operating point the wrong way: a little in-domain data is a little
# evidence, and its interval (over those few speakers) is wide. The EER column cannot show any of
# this: it never depends on the calibration.

# %% [markdown]
# ## 4. Duration: how long must a test segment be?
#
# The enrolment clip stays whole; the test clip is cut to its middle $d$ seconds. Shorter segments
# hold less of the voice and more of whatever happened to be said, and the EER climbs. The course
# model was trained on 2 s crops; the VoxCeleb ECAPA on 3 s crops of VoxCeleb.

# %%
from course.audio import fix_length


def middle(wave, seconds):
    n = int(seconds * 16000)
    return wave if wave.numel() <= n else fix_length(wave, n, start=(wave.numel() - n) // 2)


def duration_curve(model, trials, full, mean):
    """{d: (scores, eer_interval)} with the test side cut to d seconds (the enrolment side whole)."""
    from course.scoring import cosine_scores

    out = {}
    tests = sorted({b for _, _, b in trials})
    labels = torch.tensor([lab for lab, _, _ in trials])
    for d in DURATIONS:
        cut = cached_embed_waves(model, {p: middle(wave_of(p), d) for p in tests}, batch_size=16)
        enrol, test = torch.stack([full[e] for _, e, _ in trials]), torch.stack([cut[t] for _, _, t in trials])
        scores = cosine_scores(enrol, test, mean)
        out[d] = (scores.numpy(), metrics.eer_interval(scores, labels, *sides(trials)))
    return out


curves = {"course model, SynthVox test": (duration_curve(small, sv_test, sv_emb, sv_mean), sv["test"], sv_test),
          "VoxCeleb ECAPA, council test": (duration_curve(real_model, half["test"], real_emb, None), real["test"],
                                           half["test"])}
fig, ax = plt.subplots(figsize=(6.4, 4))
for name, (curve, whole, _) in curves.items():
    ds = list(curve) + ["full"]
    eers = [100 * curve[d][1]["eer"] for d in curve] + [100 * whole[2]["eer"]]
    lows = [100 * curve[d][1]["low"] for d in curve] + [100 * whole[2]["low"]]
    highs = [100 * curve[d][1]["high"] for d in curve] + [100 * whole[2]["high"]]
    x = np.arange(len(ds))
    ax.errorbar(x, eers, yerr=[np.subtract(eers, lows), np.subtract(highs, eers)], capsize=3, marker="o", label=name)
    print(name + ": " + ", ".join(f"{d} s {e:.1f}% [{lo:.1f}–{hi:.1f}]" for d, e, lo, hi in zip(ds, eers, lows, highs)))
ax.set(xticks=x, xticklabels=[f"{d}" for d in ds], xlabel="test segment (s; enrolment whole)",
       ylabel="EER (%) with 95% CI over speakers", title="EER against test duration")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()
# The same trials at two durations: the paired question is whether the EER rises on the same speakers.
shortest = min(DURATIONS)
for name, (curve, whole, trials) in curves.items():
    paired = metrics.eer_difference_interval(whole[0], curve[shortest][0], whole[1], *sides(trials))
    print(f"{name}: EER at {shortest} s − whole clip {100 * paired['difference']:+.1f} points "
          f"[95% CI {100 * paired['low']:+.1f}, {100 * paired['high']:+.1f}], "
          f"paired over {paired['speakers']} speakers")
    if CHECK_CLAIMS:
        assert paired["low"] > 0, f"{name}: half a second should cost more than chance explains"
if CHECK_CLAIMS:
    print(f"✓ for both systems {shortest} s of test speech is worse than the whole clip (paired bootstrap)")

# %% [markdown]
# ## 5. Enrolment: one utterance or several, averaged or concatenated
#
# With several enrolment recordings there are two obvious ways: average their embeddings, or glue
# the audio together and embed once. Each enrolment set here holds recordings of one speaker from
# sessions (or meetings) other than the test recording's; non-target trials pair the set with another
# speaker's test recording.

# %%
def enrolment_trials(files, k, sets_per_speaker, seed=SEED):
    """(label, enrolment files, test file): ``sets_per_speaker`` sets of k files of each speaker, each
    scored against every other recording from a session (meeting) the set does not contain. Few sets,
    many trials: a concatenated set is embedded once, however many tests it meets."""
    rng = np.random.default_rng(seed)
    by_speaker = {}
    for p in files:
        by_speaker.setdefault(speaker_of(p), []).append(p)
    out = []
    for speaker, own in sorted(by_speaker.items()):
        if len(own) < k:
            continue
        for _ in range(sets_per_speaker):
            enrol = [own[i] for i in rng.choice(len(own), k, replace=False)]
            sessions = {p.parent.name for p in enrol}
            for test in files:
                if test not in enrol and test.parent.name not in sessions:
                    out.append((int(speaker_of(test) == speaker), enrol, test))
    return out


def enrolment_eer(model, trials, single, mean, how):
    if how == "average":
        enrol = [torch.stack([single[p] for p in enrol]).mean(0) for _, enrol, _ in trials]
    else:  # concatenate the audio, embed once
        sets = sorted({tuple(enrol) for _, enrol, _ in trials})  # each distinct set once, in a fixed order (cache key)
        joined = cached_embed_waves(model, {key: torch.cat([wave_of(p) for p in key]) for key in sets}, batch_size=4)
        enrol = [joined[tuple(enrol)] for _, enrol, _ in trials]
    from course.scoring import cosine_scores

    scores = cosine_scores(torch.stack(enrol), torch.stack([single[t] for _, _, t in trials]), mean)
    labels = torch.tensor([lab for lab, _, _ in trials])
    return metrics.eer_interval(scores, labels, [speaker_of(e[0]) for _, e, _ in trials],
                                [speaker_of(t) for _, _, t in trials])


systems = {"course model, SynthVox test": (small, sorted({p for _, a, b in sv_test for p in (a, b)}), sv_emb, sv_mean),
           "VoxCeleb ECAPA, council test": (real_model, trial_files(half["test"]), real_emb, None)}
enrolment = {}
for name, (model, files, single, mean) in systems.items():
    for k in (1, 3):
        trials = enrolment_trials(files, k, ENROL_SETS)
        if not trials or len({lab for lab, _, _ in trials}) < 2:
            continue
        for how in (("average",) if k == 1 else ("average", "concatenate")):
            enrolment[(name, k, how)] = enrolment_eer(model, trials, single, mean, how)
for (name, k, how), result in enrolment.items():
    print(f"{name:30s} {k} enrolment recording(s), {how:11s}: {metrics.format_eer(result)}")

# %% [markdown]
# Read the intervals before the point values: with these few speakers only large differences are
# supported. More enrolment audio helps by averaging away what one recording happened to contain
# (a channel, a phrase). Concatenating gives the pooling one long input whose statistics mix the
# sessions; averaging keeps each recording's embedding on the sphere the model was trained for.

# %% [markdown]
# ## 6. Pitfalls, each measured
#
# **Same-session targets.** A trial list whose target pairs come from one session (one channel, one
# day) lets the channel do the work. SynthVox's lists use different sessions for targets; rebuild the
# list with same-session targets and the EER looks better than the system is.

# %%
from itertools import combinations

by_session = {}
for p in trial_files(sv_test):
    by_session.setdefault((speaker_of(p), p.parent.name), []).append(p)
same_session = [(1, a, b) for files in by_session.values() for a, b in combinations(files, 2)]
nontargets = [t for t in sv_test if t[0] == 0][: len(same_session)]
cross_session = [t for t in sv_test if t[0] == 1][: len(same_session)]
for name, targets in (("same-session targets", same_session), ("cross-session targets", cross_session)):
    result = scored(sv_emb, targets + nontargets, sv_mean)[2]
    print(f"{name:24s} {metrics.format_eer(result)}")

# %% [markdown]
# **Scoring in a loop with the model in training mode.** A common hand-written loop: for each trial,
# embed the two recordings together and compare them, forgetting `model.eval()`. In training mode
# BatchNorm normalises with the statistics of *this* batch of two, so each embedding depends on the
# other recording of the pair (one recording alone would even be refused: one value per channel).

# %%
from course.features import for_model

loop_trials = sv_test[:LOOP_TRIALS]
features = for_model(small)


def loop_scores(model, trials, training):
    model.train(training)
    out = []
    with torch.no_grad():
        for _, a, b in trials:
            x = torch.nn.utils.rnn.pad_sequence([features(wave_of(a)).T, features(wave_of(b)).T], batch_first=True)
            lengths = torch.tensor([features(wave_of(a)).shape[1], features(wave_of(b)).shape[1]])
            emb = model(x.transpose(1, 2), lengths)
            out.append(torch.nn.functional.cosine_similarity(emb[0] - sv_mean, emb[1] - sv_mean, dim=0).item())
    model.eval()
    return np.array(out)


labels = np.array([lab for lab, _, _ in loop_trials])
for name, training in (("eval mode (right)", False), ("training mode (the pitfall)", True)):
    s = loop_scores(small, loop_trials, training)
    print(f"pairs in a loop, {name:28s} {metrics.format_eer(metrics.eer_interval(s, labels, *sides(loop_trials)))}")
batched = scored(sv_emb, loop_trials, sv_mean)[2]
print(f"the batched evaluation (course.evaluate)         {metrics.format_eer(batched)}")

# %% [markdown]
# **Thresholds copied from another toolkit.** The same cosine threshold means different things for
# different models and data. Against each system's own threshold chosen on its development trials:

# %%
own = {"course model, SynthVox test": (sv["test"], metrics.eer(sv["dev"][0], sv["dev"][1], return_threshold=True)[1]),
       "VoxCeleb ECAPA, council test": (real["test"],
                                         metrics.eer(real["dev"][0], real["dev"][1], return_threshold=True)[1])}
print(f"{'system':30s} {'threshold':>16s} {'false accepts':>14s} {'false rejects':>14s}")
for name, ((s, y, _), dev_threshold) in own.items():
    for label, threshold in ((f"own (dev) {dev_threshold:.2f}", dev_threshold), ("0.25", 0.25), ("0.5", 0.5),
                             ("0.7", 0.7)):
        fa, fr = (s[y == 0] >= threshold).mean(), (s[y == 1] < threshold).mean()
        print(f"{name:30s} {label:>16s} {100 * fa:13.1f}% {100 * fr:13.1f}%")

# %% [markdown]
# ## 7. Verify your own recordings
#
# Upload two recordings (any sample rate; WAV, FLAC or OGG; a few seconds of one voice each). Until you
# do, two council clips of one speaker from two meetings are compared. The VoxCeleb ECAPA embeds them,
# the cosine is mapped to an LLR by the calibration fitted on the council development speakers, and
# the decision is taken at the prior you choose. The calibration was fitted on meeting recordings:
# on other audio (a phone, another language) its LLRs are a rough guide, not a promise (§3).

# %%
from course.widgets.upload import VerifyRecordings

first = council_files[0]
second = next((p for p in council_files if speaker_of(p) == speaker_of(first) and p.parent != first.parent),
              council_files[1])


def real_llr(wave_a, wave_b):
    emb = embed_waves(real_model, {"a": wave_a, "b": wave_b}, batch_size=2)
    return float(real_cal(torch.nn.functional.cosine_similarity(emb["a"], emb["b"], dim=0).item()))


recordings = VerifyRecordings(real_llr, ((f"{first.parent.parent.name}/{first.parent.name}", wave_of(first)),
                                         (f"{second.parent.parent.name}/{second.parent.name}", wave_of(second))))
cpu, wall = time.process_time() - cpu_start, time.perf_counter() - wall_start
print(f"this notebook so far: {wall:.0f} s wall, {cpu:.0f} s CPU")
recordings

# %% [markdown]
# ## Exercises
#
# **1. Cllr by hand.** Write `cllr_by_hand(llrs, labels)` (numpy arrays; labels 1 target, 0 non-target):
# the average of the two class means, in bits.

# %%
from course.checks.calibration import check_bayes_threshold, check_cllr, check_pav
from course.checks.verification import assert_passes


def cllr_by_hand(llrs, labels):
    return None  # your code here


check_cllr(cllr_by_hand)

# %% tags=["solution"] jupyter={"source_hidden": true}
def cllr_by_hand(llrs, labels):
    llrs, labels = np.asarray(llrs, float), np.asarray(labels).astype(bool)
    return 0.5 * (np.mean(np.log2(1 + np.exp(-llrs[labels]))) + np.mean(np.log2(1 + np.exp(llrs[~labels]))))


assert_passes(check_cllr(cllr_by_hand))

# %% [markdown]
# **2. The Bayes threshold.** Write `bayes(p_target, c_miss, c_fa)`: the LLR above which accepting costs
# less, on average, than rejecting.

# %%
def bayes(p_target, c_miss, c_fa):
    return None  # your code here


check_bayes_threshold(bayes)

# %% tags=["solution"] jupyter={"source_hidden": true}
def bayes(p_target, c_miss, c_fa):
    return -np.log(p_target / (1 - p_target)) + np.log(c_fa / c_miss)


assert_passes(check_bayes_threshold(bayes))

# %% [markdown]
# **3. PAV.** Write `pav_by_hand(scores, labels)`: sort by score, then merge adjacent blocks while a block's
# mean label is not above the previous one's; equal scores start in one block. Return each trial's block
# mean, in the original order.

# %%
def pav_by_hand(scores, labels):
    return None  # your code here


check_pav(pav_by_hand)

# %% tags=["solution"] jupyter={"source_hidden": true}
def pav_by_hand(scores, labels):
    scores, labels = np.asarray(scores, float), np.asarray(labels, float)
    order = np.argsort(scores, kind="mergesort")
    blocks = []  # [sum, count, size in trials]
    for score in np.unique(scores[order]):
        members = labels[scores == score]
        blocks.append([members.sum(), len(members), len(members)])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] >= blocks[-1][0] / blocks[-1][1]:
            last = blocks.pop()
            blocks[-1] = [blocks[-1][0] + last[0], blocks[-1][1] + last[1], blocks[-1][2] + last[2]]
    fitted = np.repeat([s / c for s, c, _ in blocks], [n for _, _, n in blocks])
    out = np.empty_like(fitted)
    out[order] = fitted
    return out


assert_passes(check_pav(pav_by_hand))
