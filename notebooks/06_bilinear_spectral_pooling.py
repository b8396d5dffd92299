# %% [markdown]
# # 06 · Second-order and spectral pooling: ABP, STSP, attentive STSP, ACA
#
# Statistics pooling keeps a mean and a standard deviation per channel. This notebook looks at
# three ways to keep more. Attentive bilinear pooling (ABP) computes first- and second-order
# statistics under several attention maps and power-normalises them. Short-time spectral pooling
# (STSP; Tu and Mak, "Short-time spectral aggregation for speaker embedding", ICASSP 2021) moves
# each channel's time series into the frequency domain and keeps its lowest bins; the paper calls
# statistics pooling the special case that keeps only the DC bins, and we derive exactly *when*
# that is true. Attentive STSP weights the segments instead of averaging them, and ACA pooling
# (ACA-Net, Interspeech 2023) lets learned queries attend to the frames. ABP, STSP and attentive
# STSP are built by hand on fbank frames of SynthVox utterances and asserted equal to
# `course.pooling` (the build stops if they differ); ACA is compared through its equation-literal
# reference (loops over latents, heads and frames), and built piece by piece in the ACA-Net notebook.

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

NUM_UTTERANCES = pick(6, 3)  # SynthVox test utterances whose fbank frames we pool
HEADS = 4  # K, ABP's attention maps
WINDOW = 16  # STSP window length W, frames (160 ms at a 10 ms shift)
HOP = 8  # STSP hop h, frames
BINS = 4  # STSP kept bins K
CHANNEL = 20  # the mel channel the STSP explorer starts on
SEED = 0

# %%
import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from torch.nn.utils.rnn import pad_sequence

from course import pooling
from course.audio import read
from course.checks import CheckFailed, derive
from course.checks.dictionary_spectral import check_averaged_power, check_parseval_std, check_power_normalise
from course.data import default_corpus
from course.data.corpus import test_utterances
from course.features import fbank
from course.pooling.bilinear import power_normalise
from course.pooling.reference import bilinear as ref_bilinear
from course.pooling.reference import cross_attention as ref_cross_attention
from course.pooling.reference import spectral as ref_spectral
from course.pooling.spectral import dc_statistics, make_window, two_sided_counts
from course.train import course_model
from course.viz.spectral import plot_power_shares
from course.widgets.stsp import stsp_explorer

torch.manual_seed(SEED)
root = default_corpus()
paths = test_utterances(root)[:NUM_UTTERANCES]
utterances = [fbank(read(path)[0]) for path in paths]  # each (80, T)
lengths = torch.tensor([u.shape[1] for u in utterances])
x = pad_sequence([u.T for u in utterances], batch_first=True).transpose(1, 2)  # (B, 80, T_max), zero-padded
mask = (torch.arange(x.shape[-1])[None] < lengths[:, None]).unsqueeze(1)  # (B, 1, T)
D = x.shape[1]
print(f"{len(utterances)} utterances, {D} channels, lengths {lengths.tolist()} frames")

# %% [markdown]
# ## 1. Attentive bilinear pooling (ABP)
#
# As the seed article presents it ("Attentive Bilinear Pooling (ABP) - Interspeech 2020"; we
# could not verify the authors and title, so we cite it no further). With the frames as rows,
# $H\in\mathbb{R}^{L\times D}$, a $1\times1$ convolution and a softmax over time give $K$ attention maps
#
# $$A = \mathrm{softmax}_L(\mathrm{conv}_{1\times1}(H)) \in \mathbb{R}^{K\times L},\qquad
# m = AH\in\mathbb{R}^{K\times D},$$
# $$\mu = T_2(T_1(m)),\qquad \sigma^2 = T_2\big(T_1\big(\textstyle\sum_l A_{kl}(H_l-m_k)^{\odot 2}\big)\big),$$
#
# where $m = AH$ is the bilinear (outer-product) pooling of the attention maps with the frames (row
# $m_k$: head $k$'s attentive mean), $T_1$ flattens, and $T_2$ is a signed square root followed by L2
# normalisation. The output is
# $[\mu;\sigma^2]\in\mathbb{R}^{2KD}$. The second-order term is our reading (the seed's equation is
# an image that did not survive): the per-head attentive variance. The plain signed square root
# $\mathrm{sign}(v)\sqrt{|v|}$ has an infinite slope at $v=0$ (a zero variance), so the library uses
# $\mathrm{sign}(v)(\sqrt{|v|+\epsilon}-\sqrt{\epsilon})$. Writing $T_2$ is Exercise 3; here we take the
# library's (`power_normalise`) and build the rest by hand.

# %%
abp = pooling.build("ABP", D, heads=HEADS).eval()
p = abp.equation_parameters()
eps = p["eps"]
A = torch.softmax((torch.einsum("kd,bdt->bkt", p["W"], x) + p["b"][None, :, None]).masked_fill(~mask, -torch.inf),
                  dim=-1)  # (B, K, T): softmax over the valid frames
m = torch.einsum("bkt,bdt->bkd", A, x)  # m = A H, row k: head k's attentive mean
var = torch.einsum("bkt,bkdt->bkd", A, (x.unsqueeze(1) - m.unsqueeze(-1)) ** 2)

with torch.no_grad():
    abp_by_hand = torch.cat([power_normalise(m.flatten(1), eps), power_normalise(var.flatten(1), eps)], dim=1)
    abp_library, abp_weights = abp(x, lengths, return_weights=True)
    abp_reference = torch.stack([ref_bilinear.abp(u, **p) for u in utterances])
derive(abp_by_hand, abp_library, name="ABP by hand vs course.pooling")
derive(abp_reference, abp_library, name="ABP, equation-literal loops vs course.pooling")
print(f"output size 2·K·D = 2·{HEADS}·{D} = {abp.out_dim}; norms of the two halves:",
      abp_library[0].view(2, -1).norm(dim=-1).tolist())

# %% [markdown]
# ## 2. Short-time spectral pooling (STSP)
#
# Take one channel's time series $x_0,\dots,x_{n-1}$. Cut it into $M=\lfloor (n-W)/h\rfloor+1$
# segments of $W$ frames every $h$ frames, multiply each by a window $w$ (we scale every window
# so that $\sum_j w_j=1$), and take its DFT:
#
# $$X_m[k] = \sum_{j=0}^{W-1} w_j\,x_{mh+j}\,e^{-2\pi i jk/W},\qquad
# S[k] = \frac1M\sum_m X_m[k],\qquad P[k] = \frac1M\sum_m \lvert X_m[k]\rvert^2 .$$
#
# $S$ is the averaged spectrum (first order), $P$ the averaged spectrogram (second order). STSP
# keeps the lowest $K$ bins of both, per channel: $[\mathrm{Re}\,S[0..K-1];\mathrm{Im}\,S[1..K-1];P[0..K-1]]$
# ($\mathrm{Im}\,S[0]=0$ always), i.e. $C(3K-1)$ numbers. Which spectra to average, $W$, $h$,
# $K$ and the window are our choices (the paper's values are not verified here): Hann, $W=16$
# frames (160 ms), $h=8$, $K=4$, so the kept bins are $k \cdot 100/W$ Hz of *modulation* of the
# feature map, $k = 0 \dots K-1$ (printed below).
#
# One consequence of averaging the complex $X_m[k]$: for $k>0$ each segment's phase depends on where
# the segment starts, so for a roughly stationary channel the average $S[k]$ tends to 0, and only
# $P[k]$ (which averages magnitudes) keeps the bin's content. The cell measures it.

# %%
stsp = pooling.build("STSP", D, window_length=WINDOW, hop=HOP, bins=BINS)  # Hann by default
window = make_window("hann", WINDOW)
segments = x.unfold(-1, WINDOW, HOP)  # (B, C, M_max, W): x_{mh+j}
X = torch.fft.rfft(segments * window, dim=-1)[..., :BINS]  # (B, C, M_max, K)
M = (lengths - WINDOW) // HOP + 1  # valid segments per utterance
seg_valid = (torch.arange(segments.shape[2])[None] < M[:, None]).float()[:, None, :, None]
S = (X * seg_valid).sum(2) / M[:, None, None]
P = (X.abs() ** 2 * seg_valid).sum(2) / M[:, None, None]
stsp_by_hand = torch.cat([S.real.flatten(1), S.imag[..., 1:].flatten(1), P.flatten(1)], dim=1)

with torch.no_grad():
    stsp_library = stsp(x, lengths)
    stsp_reference = torch.stack([ref_spectral.stsp(u, **stsp.equation_parameters()) for u in utterances[:1]])
derive(stsp_by_hand, stsp_library, name="STSP by hand vs course.pooling")
derive(stsp_reference, stsp_library[:1], name="STSP, equation-literal loops vs course.pooling")
print(f"output size C·(3K − 1) = {D}·{3 * BINS - 1} = {stsp.out_dim}")
print(f"kept bins at a 100 frames/s frame rate: {[k * 100 / WINDOW for k in range(BINS)]} Hz of modulation")

# Averaging *complex* spectra: for k > 0 the phases of the segments differ, so S[k] averages towards 0.
first_order_share = (S.abs() ** 2 / P)[0]  # |S[k]|² / P[k] per channel and bin, utterance 0
print("|S[k]|² / P[k], mean over channels, k = 0 … K−1:", [f"{v:.1%}" for v in first_order_share.mean(0).tolist()])
print(f"so {2 * (BINS - 1) * D} of the {stsp.out_dim} numbers (Re and Im of S[1 … K−1]) are small next to the power")
print("(S[0] is small here too, but only because CMN made every channel's mean 0: S[0] is a weighted mean)")

# %% [markdown]
# ## 3. When do the DC bins give statistics pooling?
#
# **First order.** Swap the sums: $S[0] = \frac1M\sum_m\sum_j w_j x_{mh+j} = \sum_t \omega_t x_t$
# with frame weights $\omega_t = \frac1M\sum_m w_{t-mh}$ (zero outside the window). $S[0]$ is the
# mean $\mu$ for *every* signal exactly when $\omega_t = 1/n$ for every frame. Without padding the
# first frame lies in one segment only, so $\omega_0 = w_0/M$, and the frame $h$ gets $(w_h+w_0)/M$
# when segments overlap: equality forces **a constant (rectangular) window, a hop equal to
# the window ($h=W$: no overlap, no gap) and $W$ dividing $n$** (no frame left over). Then
# $\omega_t = \frac{1}{MW} = \frac1n$ and $S[0]=\mu$.
#
# **Second order.** Under the same conditions Parseval's theorem for each segment,
# $\sum_{k=0}^{W-1}\lvert X_m[k]\rvert^2 = W\sum_j \lvert w_j x_{mW+j}\rvert^2 = \frac1W\sum_j x_{mW+j}^2$,
# averaged over the $M$ segments, gives
#
# $$\sum_{k=0}^{W-1} P[k] = \frac{1}{MW}\sum_t x_t^2 = \overline{x^2},\qquad
# \sigma^2 = \sum_{k=0}^{W-1}P[k] - S[0]^2 ,$$
#
# summed over **all** $W$ two-sided bins (one-sided: $P[0] + 2\sum_{0<k<W/2}P[k] + P[W/2]$ for even
# $W$). The DC power alone, $P[0] = \frac1M\sum_m(\text{segment mean})^2$, is *not* $\overline{x^2}$:
# it misses the variance inside the segments. Only for $W=1$ (every frame its own segment, $h=1$)
# is $P[0]=\overline{x^2}$, and then $[S[0];\sqrt{P[0]-S[0]^2}]$ is exactly statistics pooling.
# So "statistics pooling keeps only the DC components" holds exactly for $W=h=1$; for longer
# rectangular windows tiling the utterance the DC bin gives the mean and Parseval over every bin
# gives the standard deviation; with a tapered window or overlapping hops neither holds.

# The check needs frames whose mean is *not* zero: with CMN every channel's mean is 0 by
# construction, and $S[0] = 0 = \mu$ would hold for any scaling of $S[0]$. So this section uses the
# log-mel frames of utterance 0 *without* CMN (means around the channel's log energy).

# %%
u = utterances[0]
u_raw = fbank(read(paths[0])[0], mean_norm=False)  # (80, T), no mean subtracted
tiled = u_raw[:, : (u_raw.shape[1] // WINDOW) * WINDOW]  # cut to a multiple of W
tstp_mean, tstp_std = pooling.build("TSTP", D)(tiled[None])[0].split(D)
print(f"channel means of these frames: {tstp_mean.min():.2f} … {tstp_mean.max():.2f}")


def spectra(frames, window, window_length, hop, bins):
    module = pooling.build("STSP", D, window=window, window_length=window_length, hop=hop, bins=bins)
    return module.spectra(frames[None])


S_rect, P_rect = spectra(tiled, "rectangular", WINDOW, WINDOW, WINDOW // 2 + 1)
mean_dc, var_parseval = dc_statistics(S_rect, P_rect, WINDOW)
derive(mean_dc[0], tstp_mean, name="rectangular, h = W, W | n: S[0] = μ")
for factor in (0.0, 3.0):  # the check can fail: a wrong S[0] is caught
    try:
        derive(factor * mean_dc[0], tstp_mean, name=f"{factor:g}·S[0] = μ")
    except CheckFailed:
        print(f"   (and {factor:g}·S[0] = μ is rejected, as it must be)")
    else:
        raise AssertionError(f"the S[0] = μ check cannot fail: {factor:g}·S[0] passed")
derive(var_parseval[0].clamp(min=1e-5).sqrt(), tstp_std, name="…and √(Σ_k P[k] − S[0]²) = σ (Parseval)")
dc_only = (P_rect[0, :, 0] - S_rect[0, :, 0].real ** 2).clamp(min=0).sqrt()
print(f"but the DC power alone gives √(P[0] − S[0]²) = {dc_only.mean():.3f} on average, σ is {tstp_std.mean():.3f}")

S1, P1 = spectra(tiled, "rectangular", 1, 1, 1)
derive(torch.cat([S1[0, :, 0].real, (P1[0, :, 0] - S1[0, :, 0].real ** 2).clamp(min=1e-5).sqrt()]),
             torch.cat([tstp_mean, tstp_std]), name="W = h = 1: the DC bins are exactly [μ; σ]")

impulses = torch.eye(tiled.shape[1])[:, None, :]  # frame t alone: S[0] of it is the weight ω_t
for window, hop in [("rectangular", WINDOW // 2), ("hann", WINDOW // 2), ("hann", WINDOW)]:
    S_other, _ = spectra(tiled, window, WINDOW, hop, 1)
    omega = pooling.build("STSP", 1, window=window, window_length=WINDOW, hop=hop, bins=1).spectra(impulses)[0]
    omega = omega[:, 0, 0].real  # (n,) frame weights of S[0]
    derive(S_other[0, :, 0].real, tiled @ omega, name=f"{window}, hop {hop}: S[0] = Σ_t ω_t x_t")
    n = tiled.shape[1]
    interior = omega[WINDOW:-WINDOW] * n
    gap = (S_other[0, :, 0].real - tstp_mean).abs().max()
    print(f"   Σ ω_t = {omega.sum():.4f}; n·ω_t on interior frames {interior.min():.3f} … {interior.max():.3f}, "
          f"on the first {hop} frames {(omega[:hop] * n).min():.3f} … {(omega[:hop] * n).max():.3f}; "
          f"max |S[0] − μ| = {gap:.3g}")

# %% [markdown]
# $S[0]$ is always a weighted mean ($\sum_t\omega_t = 1$ because the window sums to one); what changes is
# the weighting. With hop $W/2$ and a rectangular or periodic Hann window, the overlapping windows add
# up to a constant, so every interior frame gets the same weight; only the first and last $h$ frames
# get less (half, or a taper), and the gap to $\mu$ is an edge effect that shrinks as the utterance
# grows. With a Hann window and hop $W$ (no overlap) the weights follow the window inside every
# segment, and $S[0]$ is a mean that favours each segment's centre.
#
# ## 4. The STSP explorer
#
# Pick a channel, the window length and shape, the hop and the number of kept bins. Top left: the
# channel's time series with the segments shaded; top right: its short-time spectrogram
# $\lvert X_m[k]\rvert^2$; bottom left: the averaged spectrum $P[k]$ with the kept bins in red;
# bottom right: the DC values next to statistics pooling's mean and standard deviation. Set a
# rectangular window with hop = window length to watch the relations of section 3 hold (the
# title says when they do, which needs $W$ to divide this utterance's length), then make the hop
# smaller. Most of the power sits in the lowest bins: the low-pass character STSP relies on. The
# explorer shows the frames without CMN, as in section 3, so that the mean is not 0 by construction.

# %%
explorer = stsp_explorer(u_raw, channel=CHANNEL, window_length=WINDOW, hop=HOP, bins=BINS)
explorer

# %% [markdown]
# STSP was proposed for the feature maps *inside* a network, not for fbank frames. Below, the course
# model of notebook 10 (a small ECAPA-TDNN, `course.train.course_model()`, cached after the first run)
# gives the frames its pooling receives; we compare how its averaged power spreads over the bins
# with that of the fbank frames. The paper's argument is this low-pass character: if most of the
# power sits in the lowest bins, keeping $K$ of them keeps most of the information.

# %%
from course.metrics import format_eer

trained = course_model()  # the course model of notebook 10 (ASTP pooling; its MFA output is the map)
print(f"the course model on the SynthVox test trials: {format_eer(trained.test)}")
with torch.no_grad():
    feature_map = trained.model.eval().frame_features(utterances[0][None])[0][0]  # (C', T): what the pooling sees
all_bins = WINDOW // 2 + 1


def power_share(frames):
    """Each one-sided bin's share of the total power, counting bins 1 … W/2 − 1 twice (their mirror
    bins W − k hold the same power), mean over channels."""
    module = pooling.build("STSP", frames.shape[0], window_length=WINDOW, hop=HOP, bins=all_bins)
    _, power = module.spectra(frames[None])
    power = power[0] * two_sided_counts(WINDOW)  # (C, W // 2 + 1), two-sided power per one-sided bin
    return (power / power.sum(-1, keepdim=True)).mean(0)


shares = {f"fbank frames ({D} channels)": power_share(utterances[0]),
          f"trained ECAPA feature map ({feature_map.shape[0]} channels, {len(trained.losses)} steps)":
          power_share(feature_map)}
for name, share in shares.items():
    assert torch.isclose(share.sum(), torch.tensor(1.0)), "shares of the two-sided power sum to one"
    print(f"{name}: {share[:BINS].sum():.0%} of the averaged power in the lowest {BINS} of {all_bins} bins")
fig = plot_power_shares(torch.arange(all_bins).numpy() * 100 / WINDOW, {k: v.numpy() for k, v in shares.items()},
                        BINS, title=f"averaged spectrum of utterance 0 (Hann, W = {WINDOW}, h = {HOP})")
plt.show()

# %% [markdown]
# ## 5. Order matters for STSP
#
# Statistics pooling is a function of the *set* of frames: shuffle them and nothing changes. STSP
# is not: it measures how the channel varies *over time*. Shuffling whitens the modulation spectrum:
# the power moves out of the low bins into the high ones, and the DC power $P[0]$, the mean squared
# segment mean, changes most (a shuffled segment's mean is close to the utterance's mean, so the
# slow swings that $P[0]$ held are gone).

# %%
perm = torch.randperm(u.shape[1])
with torch.no_grad():
    change_stsp = (stsp(u[None, :, perm]) - stsp(u[None])).abs().max()
    change_tstp = (pooling.build("TSTP", D)(u[None, :, perm]) - pooling.build("TSTP", D)(u[None])).abs().max()
    _, power_before = stsp.spectra(u[None])
    _, power_after = stsp.spectra(u[None, :, perm])
print(f"shuffling the frames changes TSTP by {change_tstp:.2g} and STSP by {change_stsp:.3g}")
print("P[k] mean over channels, k = 0 … K−1, before:", [f"{v:.3f}" for v in power_before[0].mean(0).tolist()])
print("                                        after: ", [f"{v:.3f}" for v in power_after[0].mean(0).tolist()])
assert change_stsp > 1e-3 and change_tstp < 1e-4
change = (power_after - power_before)[0].abs().mean(0)
assert int(change.argmax()) == 0, "the DC power should change most"

# %% [markdown]
# ## 6. Attentive STSP: weight the segments
#
# The seed names STSP's limitation: the plain average over segments treats every windowed segment
# as equally important. Attentive STSP (Tu and Mak's follow-up) replaces $\frac1M$ by attention
# weights $\beta_m$ over the valid segments. In `course.pooling` a segment's score is
# $v^\top\tanh(W d_m + b) + k$ from its DC values $d_m = (X_m[0])_c$, one per channel:
#
# $$\beta_m = \mathrm{softmax}_m\big(v^\top\tanh(W d_m+b)+k\big),\quad S[k]=\sum_m\beta_m X_m[k],\quad
# P[k]=\sum_m\beta_m\lvert X_m[k]\rvert^2 .$$
#
# With constant scores the weights are uniform and attentive STSP is STSP.

# %%
astsp = pooling.build("AttentiveSTSP", D, window_length=WINDOW, hop=HOP, bins=BINS).eval()
q = astsp.equation_parameters()
d = X[..., 0].real  # (B, C, M): DC of every segment (Hann window, as above)
hidden = torch.tanh(torch.einsum("hc,bcm->bhm", q["W"], d) + q["b"][:, None])  # tanh(W d_m + b)
scores = torch.einsum("h,bhm->bm", q["v"], hidden) + q["k"]
beta = torch.softmax(scores.masked_fill(seg_valid[:, 0, :, 0] == 0, -torch.inf), dim=-1)  # (B, M)
S_att = (beta[:, None, :, None] * X).sum(2)
P_att = (beta[:, None, :, None] * X.abs() ** 2).sum(2)
with torch.no_grad():
    astsp_by_hand = torch.cat([S_att.real.flatten(1), S_att.imag[..., 1:].flatten(1), P_att.flatten(1)], dim=1)
    astsp_library = astsp(x, lengths)
    astsp_reference = ref_spectral.attentive_stsp(utterances[0], **q)
derive(astsp_by_hand, astsp_library, name="attentive STSP by hand vs course.pooling", atol=1e-4)
derive(astsp_reference, astsp_library[0], name="attentive STSP, loops vs course.pooling", atol=1e-4)

uniform = pooling.build("AttentiveSTSP", D, window_length=WINDOW, hop=HOP, bins=BINS)
with torch.no_grad():
    for parameter in uniform.score[2].parameters():
        parameter.zero_()  # v = 0, k = 0: every segment scores 0
    derive(uniform(x, lengths), stsp_library, name="uniform segment attention = STSP", atol=1e-4)

fig, ax = plt.subplots(figsize=(9, 2.8))
with torch.no_grad():
    weights = astsp(utterances[0][None], return_weights=True)[1][0, 0]
ax.plot(torch.arange(len(weights)) * HOP / 100, weights, "o-", ms=3, label="β_m (untrained attention)")
ax.axhline(1 / len(weights), color="k", ls="--", lw=1, label="1/M (STSP)")
ax.set(xlabel="segment start (s)", ylabel="weight", title="segment weights of attentive STSP, utterance 0")
ax.legend()
plt.show()

# %% [markdown]
# ## 7. ACA pooling: learned queries attend to the frames
#
# ACA-Net (Interspeech 2023, arXiv:2305.12121) replaces pooling by *asymmetric cross attention*:
# a small, fixed set of $N$ learned latents $Q\in\mathbb{R}^{N\times E}$ attends to the $T$ frames,
# so the cost is $O(NT)$ and the output has a fixed size whatever $T$ is. One block, with $H$ heads of
# size $d = E/H$ ($(QW_q)_h$ is head $h$'s $N\times d$ slice):
#
# $$F_t = W_{in}x_t + P_t,\qquad
# \alpha_{h} = \mathrm{softmax}_t\!\Big(\frac{(QW_q)_h (FW_k)_h^\top}{\sqrt{d}}\Big),$$
#
# $$Z = \mathrm{LN}\big(Q + [\alpha_h (FW_v)_h]_h W_o\big),\qquad Z\leftarrow\mathrm{LN}(Z+\mathrm{MLP}(Z)),\qquad
# e = Zw_{out}+b_{out}\in\mathbb{R}^N.$$
#
# Padded frames are masked out of the softmax. $P_t$ is a sinusoidal encoding indexed by the
# frame's *time step* $t$ (the reference code indexes it by the position in the batch, a bug);
# without it the block cannot tell the order of the frames. The full ACA-Net (stacked blocks,
# latent self-attention, multi-layer aggregation) has its own notebook.

# %%
aca = pooling.build("ACA", D, latents=8, dim=32, heads=4).eval()
with torch.no_grad():
    aca_library, aca_attention = aca(x, lengths, return_weights=True)
    aca_reference = ref_cross_attention.aca(utterances[0], **aca.equation_parameters())
    shortest = int(lengths.argmin())  # padded in the batch, so the check can see padding leak in
    alone = aca(utterances[shortest][None])
assert lengths[shortest] < x.shape[-1], "the check needs an utterance shorter than the batch"
derive(aca_reference, aca_library[0], name="ACA, loops over latents, heads and frames vs course.pooling")
derive(alone[0], aca_library[shortest], name=f"ACA: padded batch = the utterance alone "
       f"({int(lengths[shortest])} of {x.shape[-1]} frames)")
padded_attention = aca_attention.masked_select(~mask).abs().max() if (~mask).any() else torch.tensor(0.0)
print(f"output size N = {aca.out_dim}; attention on padded frames: {padded_attention:.1g}")

# %% [markdown]
# ## Exercises
#
# **Exercise 1.** Write STSP's averaged power spectrum for a rectangular window with hop = $W$ and
# $W$ dividing $T$: `my_averaged_power(x, W)` with $x$ `(B, C, T)` → $P$ `(B, C, W // 2 + 1)`.
# Remember the window sums to one ($w_j = 1/W$). Hint: `reshape` then `torch.fft.rfft`.

# %%
def my_averaged_power(x, window_length):
    # your code here
    return None


check_averaged_power(my_averaged_power)

# %% tags=["solution"] jupyter={"source_hidden": true}
def my_averaged_power(x, window_length):
    B, C, T = x.shape
    segments = x.reshape(B, C, T // window_length, window_length) / window_length  # w_j = 1/W
    return torch.fft.rfft(segments, dim=-1).abs().pow(2).mean(2)


assert check_averaged_power(my_averaged_power)

# %% [markdown]
# **Exercise 2.** Recover statistics pooling's standard deviation from the spectrum by Parseval:
# `my_parseval_std(S0, P, W)` with $S[0]$ `(B, C)` and the one-sided $P$ `(B, C, W // 2 + 1)` →
# $\sigma$ `(B, C)`. Which one-sided bins stand for two two-sided ones, for even and for odd $W$?

# %%
def my_parseval_std(s0, power, window_length):
    # your code here: the DC bin alone is not enough
    return (power[..., 0] - s0**2).clamp(min=0).sqrt()


check_parseval_std(my_parseval_std)

# %% tags=["solution"] jupyter={"source_hidden": true}
def my_parseval_std(s0, power, window_length):
    twins = torch.full((power.shape[-1],), 2.0)
    twins[0] = 1.0  # DC has no twin
    if window_length % 2 == 0:
        twins[-1] = 1.0  # nor has the Nyquist bin
    return ((power * twins).sum(-1) - s0**2).clamp(min=0).sqrt()


assert check_parseval_std(my_parseval_std)

# %% [markdown]
# **Exercise 3.** Write ABP's $T_2$ for a batch of vectors `(B, N)`: the signed square root
# $\mathrm{sign}(v)(\sqrt{|v|+\epsilon}-\sqrt\epsilon)$ with $\epsilon = 10^{-5}$, then L2
# normalisation with the squared norm floored at $\epsilon$: divide by $\sqrt{\max(\lVert r\rVert^2,\epsilon)}$.
# The check compares values and gradients on random vectors, on vectors that contain zeros (a plain
# $\sqrt{|v|}$ has an infinite slope there) and on a vector so small that only the floor keeps it
# small; when the answer is wrong it says which common mistake it looks like.

# %%
def my_t2(v):
    # your code here
    return F.normalize(torch.sign(v) * v.abs().sqrt(), dim=-1)  # not yet: infinite slope at 0


check_power_normalise(my_t2)

# %% tags=["solution"] jupyter={"source_hidden": true}
def my_t2(v, eps=1e-5):
    root = torch.sign(v) * ((v.abs() + eps).sqrt() - eps**0.5)
    return root / root.pow(2).sum(-1, keepdim=True).clamp(min=eps).sqrt()


assert check_power_normalise(my_t2)
