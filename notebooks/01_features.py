# %% [markdown]
# # 01 · Features: from waveform to log-mel filterbank
#
# Nearly every speaker-embedding network starts from the same input: 80 log-mel filterbank
# energies every 10 ms, computed the way Kaldi does it. This notebook builds them by hand with
# NumPy, one step at a time (framing, DC removal, pre-emphasis, window, power spectrum, mel
# triangles, logarithm), checks the result against `torchaudio.compliance.kaldi.fbank`, then adds
# utterance mean normalisation (CMN), measures the batched GPU-friendly path against the Kaldi one,
# and ends with a widget to feel the time-frequency trade-off.

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

UTTERANCE = 0  # which test utterance to analyse
FRAME_LENGTH_MS = 25.0  # analysis window
FRAME_SHIFT_MS = 10.0  # hop between frames
MEL_BINS = 80
BATCH_UTTERANCES = pick(16, 4)  # utterances compared between the Kaldi and the batched paths

# %% [markdown]
# ## One utterance
#
# Speech arrives as a waveform $x[n]$, 16,000 samples per second. Kaldi (and so every recipe
# that copies it) reads it as 16-bit integers, so we scale the float samples back to that range:
# it only adds a constant to the log energies below, but keeps them equal to Kaldi's.

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch
import torchaudio
from IPython.display import Audio, display

from course.audio import read
from course.data import default_corpus
from course.data.corpus import test_utterances
from course.viz.features import plot_features, plot_filterbank, plot_frames, plot_waveform

root = default_corpus()
path = test_utterances(root)[UTTERANCE]
wave, rate = read(path)
x = wave.numpy().astype(np.float64) * 32768
print(f"{path.relative_to(root)}: {len(x)} samples at {rate} Hz = {len(x) / rate:.2f} s")
display(Audio(wave.numpy(), rate=rate))
fig = plot_waveform(wave, rate, title=f"Waveform of {path.parent.parent.name}")

# %% [markdown]
# ## 1. Framing
#
# Speech is stationary only over a few tens of milliseconds, so the signal is cut into
# overlapping frames of $N = 25\,\text{ms} = 400$ samples every $H = 10\,\text{ms} = 160$
# samples. Kaldi's `snip_edges` keeps only whole frames:
#
# $$T = 1 + \left\lfloor \frac{L - N}{H} \right\rfloor, \qquad
# \text{frame}_t[n] = x[tH + n], \quad 0 \le n < N.$$

# %%
N = int(rate * FRAME_LENGTH_MS / 1000)
H = int(rate * FRAME_SHIFT_MS / 1000)
T = 1 + (len(x) - N) // H
frames = np.stack([x[t * H: t * H + N] for t in range(T)])
print(f"frames: {frames.shape} (T = {T})")

# %% [markdown]
# ## 2. DC removal, pre-emphasis, window
#
# Each frame loses its mean (DC offset); then **pre-emphasis** $y[n] = x[n] - 0.97\,x[n-1]$
# (Kaldi uses $x[-1] := x[0]$ inside each frame) lifts the high frequencies that voiced speech
# attenuates by about 6 dB per octave; then a window tapers the edges to limit spectral leakage.
# Kaldi's default is the **Povey window**, a Hann window raised to the power 0.85:
#
# $$w[n] = \left(\tfrac12 - \tfrac12 \cos\frac{2\pi n}{N-1}\right)^{0.85}.$$
#
# (Kaldi also adds random *dither*, Gaussian noise of about one int16 step, by default
# (`--dither=1.0`), and some speaker recipes train with it, e.g. WeSpeaker's VoxCeleb configurations;
# `torchaudio.compliance.kaldi.fbank` defaults to 0. The course sets it to 0 so that every number
# here is deterministic and comparable with the library; `course.features.fbank(dither=...)` turns
# it on.)

# %%
frames = frames - frames.mean(axis=1, keepdims=True)
previous = np.concatenate([frames[:, :1], frames[:, :-1]], axis=1)
frames = frames - 0.97 * previous
n = np.arange(N)
window = (0.5 - 0.5 * np.cos(2 * np.pi * n / (N - 1))) ** 0.85
windowed = frames * window
loud = int(np.argmax((windowed**2).sum(axis=1)))  # show the loudest stretch, not the leading silence
fig = plot_frames(x[loud * H:], N, H, count=4, sample_rate=rate, window=window / window.max(),
                  title=f"Four 25 ms frames, 10 ms apart, from frame {loud} (Povey window over the first)")

# %% [markdown]
# ## 3. Power spectrum
#
# Each frame is zero-padded to the next power of two, $K = 512$, and Fourier-transformed; we keep
# the power of the first $K/2 + 1 = 257$ bins, $k \cdot 16000/512 = 31.25\,k$ Hz:
#
# $$P_t[k] = \Big|\sum_{n=0}^{N-1} w[n]\, y_t[n]\, e^{-2\pi i k n / K}\Big|^2.$$

# %%
K = 1 << (N - 1).bit_length()
power = np.abs(np.fft.rfft(windowed, n=K, axis=1)) ** 2
print(f"power spectrum: {power.shape}, K = {K}")

# %% [markdown]
# ## 4. Mel filterbank
#
# The ear resolves low frequencies finely and high ones coarsely. The mel scale
# $m(f) = 1127 \ln(1 + f/700)$ (the one Kaldi and HTK use) straightens that out: place
# $M + 2$ points evenly in mel between 20 Hz and 8 kHz, and build $M$ triangles, each rising from
# one point to the next and falling to the one after. Kaldi draws the triangles **in the mel
# domain** (linear in $m(f)$, not in $f$):
#
# $$B_j[k] = \max\left(0, \min\left(\frac{m(f_k) - m_{j}}{m_{j+1} - m_{j}},
# \frac{m_{j+2} - m(f_k)}{m_{j+2} - m_{j+1}}\right)\right).$$

# %%
def hz_to_mel(f):
    return 1127.0 * np.log1p(np.asarray(f, dtype=np.float64) / 700.0)


edges = np.linspace(hz_to_mel(20.0), hz_to_mel(rate / 2), MEL_BINS + 2)
bin_mel = hz_to_mel(np.arange(K // 2) * rate / K)  # Kaldi leaves the Nyquist bin out
left, centre, right = edges[:-2, None], edges[1:-1, None], edges[2:, None]
banks = np.maximum(0.0, np.minimum((bin_mel - left) / (centre - left), (right - bin_mel) / (right - centre)))
banks = np.pad(banks, ((0, 0), (0, 1)))  # a zero weight for the Nyquist bin
fig = plot_filterbank(banks, rate, every=4, title=f"Every 4th of the {MEL_BINS} mel triangles")

# %% [markdown]
# ## 5. Log, and the comparison with Kaldi
#
# The filterbank energies are $E_t[j] = \sum_k B_j[k]\, P_t[k]$, and the features are their
# logarithm (floored at the float32 machine epsilon, as Kaldi does). That is the whole log-mel
# filterbank: compare it with `torchaudio.compliance.kaldi.fbank`. It computes in float32, and
# float32 rounding counts most in the lowest mel bins, where the channel's high-pass leaves little
# energy: we allow $10^{-2}$ in log units for any value (1% in energy) and $10^{-4}$ on average;
# the cell prints what it measures on this utterance.

# %%
from course.checks import derive

eps = np.finfo(np.float32).eps
logmel = np.log(np.maximum(power @ banks.T, eps)).T  # (M, T), channels first as in the course
kaldi = torchaudio.compliance.kaldi.fbank(wave[None] * 32768, num_mel_bins=MEL_BINS, frame_length=FRAME_LENGTH_MS,
                                          frame_shift=FRAME_SHIFT_MS, dither=0.0, window_type="povey",
                                          energy_floor=0.0).T
difference = np.abs(logmel - kaldi.numpy().astype(np.float64))
print(f"difference from torchaudio's Kaldi fbank (log units): largest {difference.max():.2e}, "
      f"mean {difference.mean():.2e}, in mel bin {np.unravel_index(difference.argmax(), difference.shape)[0]}")
derive(torch.from_numpy(logmel).float(), kaldi, name="log-mel fbank by hand vs Kaldi's", atol=1e-2, rtol=0)
assert difference.mean() < 1e-4, f"mean difference {difference.mean():.2e} above the 1e-4 allowed"
fig = plot_features(logmel, title="Log-mel filterbank, built by hand")

# %% [markdown]
# ## 6. Mean normalisation (CMN)
#
# A fixed channel (microphone, room, codec) multiplies the spectrum by a filter $G(f)$. Where $G$ is
# flat across each mel triangle and its impulse response is short against the 25 ms window, the
# logarithm turns it into an *additive* constant per mel bin, and subtracting each bin's mean over
# the utterance, $\tilde X_{jt} = X_{jt} - \frac1T \sum_{t'} X_{jt'}$, removes it. So CMN removes a
# gain (the level) exactly, a filter only approximately, and additive noise not at all:
# $\log(S + N)$ is not $\log S$ plus a constant. This is what `course.features.fbank` returns by
# default; the cell measures the three cases on this utterance.

# %%
from course.features import fbank

normalised = logmel - logmel.mean(axis=1, keepdims=True)
derive(torch.from_numpy(normalised).float(), fbank(wave), name="CMN by hand vs course.features.fbank",
       atol=1e-2, rtol=0)

noise = torch.randn(len(wave), generator=torch.Generator().manual_seed(0))
channels = {
    "gain × 0.5": 0.5 * wave,
    "one-pole low-pass y[n] = x[n] + 0.9 y[n−1]": torchaudio.functional.lfilter(
        wave[None], torch.tensor([1.0, -0.9]), torch.tensor([1.0, 0.0]), clamp=False)[0] * 0.1,
    "white noise at 10 dB SNR": wave + wave.std() * 10 ** (-10 / 20) * noise,
}
left = {name: (fbank(changed) - fbank(wave)).abs().mean().item() for name, changed in channels.items()}
for name, value in left.items():
    print(f"{name:44s} mean |CMN features − original| = {value:.2e} log units")
gain, low_pass, noisy = left.values()
assert gain < 1e-4 < low_pass < noisy, "CMN removes a gain exactly, a filter partly, noise not at all"
fig = plot_features(normalised, title="After CMN: each mel bin has zero mean", colorbar="log energy − mean")

# %% [markdown]
# ## 7. The batched path
#
# Training on a GPU wants one call for a whole batch. `course.features.BatchFbank` uses
# `torchaudio.transforms.MelSpectrogram` with Kaldi's frames and window, but it pre-emphasises the
# whole signal instead of each frame, does not remove each frame's DC offset, and draws its
# triangles linear in Hz. The library states the tolerance it keeps after CMN (and a test checks
# it); here it is measured on a few test utterances.

# %%
from course.features import BATCH_FIRST_CLOSE_BIN, BATCH_TOLERANCE, BATCH_TOLERANCE_PER_BIN, BatchFbank

waves = [read(p)[0] for p in test_utterances(root)[:BATCH_UTTERANCES]]
lengths = torch.tensor([len(w) for w in waves])
batch, frame_lengths = BatchFbank()(torch.nn.utils.rnn.pad_sequence(waves, batch_first=True), lengths)
per_bin = np.mean([(batch[i, :, :frame_lengths[i]] - fbank(w)).abs().mean(dim=1).numpy()
                   for i, w in enumerate(waves)], axis=0)
print(f"mean |batched − Kaldi| over all bins: {per_bin.mean():.4f} (stated tolerance {BATCH_TOLERANCE}); "
      f"worst bin from bin {BATCH_FIRST_CLOSE_BIN} up: {per_bin[BATCH_FIRST_CLOSE_BIN:].max():.4f} "
      f"(tolerance {BATCH_TOLERANCE_PER_BIN}); bin 0: {per_bin[0]:.3f}")
assert per_bin.mean() < BATCH_TOLERANCE and per_bin[BATCH_FIRST_CLOSE_BIN:].max() < BATCH_TOLERANCE_PER_BIN
fig, ax = plt.subplots(figsize=(7, 2.6))
ax.semilogy(per_bin)
ax.set(xlabel="mel bin", ylabel="mean |difference| (log units)", title="Batched MelSpectrogram path vs Kaldi fbank")

# %% [markdown]
# ## 8. Explore
#
# Longer windows resolve the harmonics of the voice (narrow-band spectrogram) but smear fast
# changes; shorter ones do the opposite. Fewer mel bins blur the spectral envelope. Move the
# sliders (each change recomputes `course.features.fbank`).

# %%
from course.widgets.features import fbank_explorer

explorer = fbank_explorer(wave, rate, title=path.parent.parent.name)
explorer

# %% [markdown]
# ## Exercises
#
# **1. The mel scale.** Write `my_hz_to_mel(freq)` for a tensor of frequencies in Hz, with Kaldi's formula.

# %%
from course.checks.features import check_cmn, check_frames, check_hz_to_mel
from course.checks.verification import assert_passes


def my_hz_to_mel(freq):
    return None  # your code here


check_hz_to_mel(my_hz_to_mel)

# %% tags=["solution"] jupyter={"source_hidden": true}
def my_hz_to_mel(freq):
    return 1127.0 * torch.log(1 + freq / 700.0)


assert_passes(check_hz_to_mel(my_hz_to_mel))

# %% [markdown]
# **2. Framing.** Write `my_frames(wave, frame_length, frame_shift)` returning the
# `(T, frame_length)` frames Kaldi keeps with `snip_edges` (no frame when the signal is shorter
# than one window).

# %%
def my_frames(wave, frame_length, frame_shift):
    return None  # your code here


check_frames(my_frames)

# %% tags=["solution"] jupyter={"source_hidden": true}
def my_frames(wave, frame_length, frame_shift):
    if len(wave) < frame_length:
        return torch.zeros(0, frame_length, dtype=wave.dtype)
    return wave.unfold(0, frame_length, frame_shift)


assert_passes(check_frames(my_frames))

# %% [markdown]
# **3. CMN.** Write `my_cmn(feats)` removing each mel bin's mean over time from a `(C, T)` tensor.

# %%
def my_cmn(feats):
    return None  # your code here


check_cmn(my_cmn)

# %% tags=["solution"] jupyter={"source_hidden": true}
def my_cmn(feats):
    return feats - feats.mean(dim=1, keepdim=True)


assert_passes(check_cmn(my_cmn))
