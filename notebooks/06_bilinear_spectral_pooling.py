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
# (ACA-Net, Interspeech 2023) lets learned queries attend to the frames. Every method is built by
# hand on fbank frames of SynthVox utterances and checked against `course.pooling`.

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
from course.checks import check
from course.checks.pooling2 import check_averaged_power, check_parseval_std, check_power_normalise
from course.data import default_corpus
from course.data.corpus import test_utterances
from course.features import fbank
from course.pooling.reference import bilinear as ref_bilinear
from course.pooling.reference import cross_attention as ref_cross_attention
from course.pooling.reference import spectral as ref_spectral
from course.pooling.spectral import dc_statistics, make_window
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
# \mu = T_2(T_1(AH)),\qquad \sigma^2 = T_2\big(T_1\big(\textstyle\sum_l A_{kl}(H_l-\mu_k)^{\odot 2}\big)\big),$$
#
# where $AH$ is the bilinear (outer-product) pooling of the attention maps with the frames, $T_1$
# flattens, and $T_2$ is a signed square root followed by L2 normalisation. The output is
# $[\mu;\sigma^2]\in\mathbb{R}^{2KD}$. The second-order term is our reading (the seed's equation is
# an image that did not survive): the per-head attentive variance. The plain signed square root
# $\mathrm{sign}(v)\sqrt{|v|}$ has an infinite slope at $v=0$ (a zero variance), so the library uses
# $\mathrm{sign}(v)(\sqrt{|v|+\epsilon}-\sqrt{\epsilon})$.

# %%
abp = pooling.build("ABP", D, heads=HEADS).eval()
p = abp.equation_parameters()
eps = p["eps"]
A = torch.softmax((torch.einsum("kd,bdt->bkt", p["W"], x) + p["b"][None, :, None]).masked_fill(~mask, -torch.inf),
                  dim=-1)  # (B, K, T): softmax over the valid frames
mu = torch.einsum("bkt,bdt->bkd", A, x)  # A H
var = torch.einsum("bkt,bkdt->bkd", A, (x.unsqueeze(1) - mu.unsqueeze(-1)) ** 2)


def t2(v):
    root = torch.sign(v) * ((v.abs() + eps).sqrt() - eps**0.5)  # signed square root, finite slope at 0
    return root / root.norm(dim=-1, keepdim=True)  # L2 normalisation


with torch.no_grad():
    abp_by_hand = torch.cat([t2(mu.flatten(1)), t2(var.flatten(1))], dim=1)
    abp_library, abp_weights = abp(x, lengths, return_weights=True)
    abp_reference = torch.stack([ref_bilinear.abp(u, **p) for u in utterances])
assert check(abp_by_hand, abp_library, name="ABP by hand vs course.pooling")
assert check(abp_reference, abp_library, name="ABP, equation-literal loops vs course.pooling")
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
# frames (160 ms), $h=8$, $K=4$, so the bins are 0, 6.25, 12.5 and 18.75 Hz of *modulation*
# of the feature map.

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
assert check(stsp_by_hand, stsp_library, name="STSP by hand vs course.pooling")
assert check(stsp_reference, stsp_library[:1], name="STSP, equation-literal loops vs course.pooling")
print(f"output size C·(3K − 1) = {D}·{3 * BINS - 1} = {stsp.out_dim}")

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

# %%
u = utterances[0]
tiled = u[:, : (u.shape[1] // WINDOW) * WINDOW]  # cut to a multiple of W
tstp_mean, tstp_std = pooling.build("TSTP", D)(tiled[None])[0].split(D)


def spectra(frames, window, window_length, hop, bins):
    module = pooling.build("STSP", D, window=window, window_length=window_length, hop=hop, bins=bins)
    return module.spectra(frames[None])


S_rect, P_rect = spectra(tiled, "rectangular", WINDOW, WINDOW, WINDOW // 2 + 1)
mean_dc, var_parseval = dc_statistics(S_rect, P_rect, WINDOW)
assert check(mean_dc[0], tstp_mean, name="rectangular, h = W, W | n: S[0] = μ")
assert check(var_parseval[0].clamp(min=1e-5).sqrt(), tstp_std, name="…and √(Σ_k P[k] − S[0]²) = σ (Parseval)")
dc_only = (P_rect[0, :, 0] - S_rect[0, :, 0].real ** 2).clamp(min=0).sqrt()
print(f"but the DC power alone gives √(P[0] − S[0]²) = {dc_only.mean():.3f} on average, σ is {tstp_std.mean():.3f}")

S1, P1 = spectra(tiled, "rectangular", 1, 1, 1)
assert check(torch.cat([S1[0, :, 0].real, (P1[0, :, 0] - S1[0, :, 0].real ** 2).clamp(min=1e-5).sqrt()]),
             torch.cat([tstp_mean, tstp_std]), name="W = h = 1: the DC bins are exactly [μ; σ]")

for window, hop in [("rectangular", WINDOW // 2), ("hann", WINDOW)]:
    S_other, _ = spectra(tiled, window, WINDOW, hop, 1)
    gap = (S_other[0, :, 0].real - tstp_mean).abs().max()
    print(f"{window} window, hop {hop}: max |S[0] − μ| = {gap:.3g} (not a mean any more)")

# %% [markdown]
# ## 4. The STSP explorer
#
# Pick a channel, the window length and shape, the hop and the number of kept bins. Top left: the
# channel's time series with the segments shaded; top right: its short-time spectrogram
# $\lvert X_m[k]\rvert^2$; bottom left: the averaged spectrum $P[k]$ with the kept bins in red;
# bottom right: the DC values next to statistics pooling's mean and standard deviation. Set a
# rectangular window with hop = window length to watch the relations of section 3 hold (the
# title says when they do, which needs $W$ to divide this utterance's length), then make the hop
# smaller. Most of the power sits in the lowest bins: the low-pass character STSP relies on.

# %%
explorer = stsp_explorer(utterances[0], channel=CHANNEL, window_length=WINDOW, hop=HOP, bins=BINS)
explorer

# %% [markdown]
# STSP was proposed for the feature maps *inside* a network, not for fbank frames. Below, the course
# model of notebook 10 (a small ECAPA-TDNN, `course.train.course_model()`, cached after the first run)
# gives the frames its pooling receives; we compare how its averaged power spreads over the bins
# with that of the fbank frames. The paper's argument is this low-pass character: if most of the
# power sits in the lowest bins, keeping $K$ of them keeps most of the information.

# %%
trained = course_model()  # the course model of notebook 10 (ASTP pooling; its MFA output is the map)
print(f"the course model: EER {100 * trained.eer:.2f}% on the SynthVox test trials")
with torch.no_grad():
    feature_map = trained.model.eval().frame_features(utterances[0][None])[0]  # (C', T): what the pooling sees
all_bins = WINDOW // 2 + 1


def power_share(frames):
    module = pooling.build("STSP", frames.shape[0], window_length=WINDOW, hop=HOP, bins=all_bins)
    _, power = module.spectra(frames[None])
    return (power[0] / power[0].sum(-1, keepdim=True)).mean(0)  # per-bin share, mean over channels


shares = {f"fbank frames ({D} channels)": power_share(utterances[0]),
          f"trained ECAPA feature map ({feature_map.shape[0]} channels, {len(trained.losses)} steps)":
          power_share(feature_map)}
for name, share in shares.items():
    print(f"{name}: {share[:BINS].sum():.0%} of the averaged power in the lowest {BINS} of {all_bins} bins")
fig = plot_power_shares(torch.arange(all_bins).numpy() * 100 / WINDOW, {k: v.numpy() for k, v in shares.items()},
                        BINS, title=f"averaged spectrum of utterance 0 (Hann, W = {WINDOW}, h = {HOP})")
plt.show()

# %% [markdown]
# ## 5. Order matters for STSP
#
# Statistics pooling is a function of the *set* of frames: shuffle them and nothing changes. STSP
# is not: its non-DC bins measure how the channel varies *over time*, so shuffling the frames
# (which whitens the modulation spectrum) changes the embedding.

# %%
perm = torch.randperm(u.shape[1])
with torch.no_grad():
    change_stsp = (stsp(u[None, :, perm]) - stsp(u[None])).abs().max()
    change_tstp = (pooling.build("TSTP", D)(u[None, :, perm]) - pooling.build("TSTP", D)(u[None])).abs().max()
print(f"shuffling the frames changes TSTP by {change_tstp:.2g} and STSP by {change_stsp:.3g}")
assert change_stsp > 1e-3 and change_tstp < 1e-4

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
assert check(astsp_by_hand, astsp_library, name="attentive STSP by hand vs course.pooling", atol=1e-4)
assert check(astsp_reference, astsp_library[0], name="attentive STSP, loops vs course.pooling", atol=1e-4)

uniform = pooling.build("AttentiveSTSP", D, window_length=WINDOW, hop=HOP, bins=BINS)
with torch.no_grad():
    for parameter in uniform.score[2].parameters():
        parameter.zero_()  # v = 0, k = 0: every segment scores 0
    assert check(uniform(x, lengths), stsp_library, name="uniform segment attention = STSP", atol=1e-4)

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
# so the cost is $O(NT)$ and the output has a fixed size whatever $T$ is. One block, with $H$ heads:
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
    alone = aca(utterances[-1][None])
assert check(aca_reference, aca_library[0], name="ACA, loops over latents, heads and frames vs course.pooling")
assert check(alone[0], aca_library[-1], name="ACA: padded batch = the utterance alone")
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
# normalisation with the squared norm floored at $\epsilon$. The check compares gradients too,
# on vectors that contain zeros: a plain $\sqrt{|v|}$ fails there.

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
