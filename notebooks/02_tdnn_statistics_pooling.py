# %% [markdown]
# # 02 · The x-vector TDNN and statistics pooling
#
# The x-vector (Snyder, Garcia-Romero, Sell, Povey, Khudanpur, ICASSP 2018) turns a variable-length
# sequence of fbank frames into one fixed-size vector in two stages: a stack of *time-delay* layers
# that look at a few neighbouring frames each, then a *statistics pooling* layer that summarises all
# frames by their mean and standard deviation. This notebook builds a TDNN layer by hand and shows it
# is a dilated `Conv1d`, traces the x-vector's frame layers and their growing receptive field, derives
# the three statistics poolings (TAP, TSDP, TSTP), and looks at two numerical traps every
# implementation meets: the unbiased variance that is NaN for one frame, and the square root whose
# gradient is infinite at zero variance. It ends with the batch-invariance property: with `lengths`,
# a padded batch gives each utterance exactly the embedding it gets alone.

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

FRAMES = pick(300, 60)  # frames of the toy utterances (10 ms each)
FEATURES = 80  # fbank bins
SEED = 0

# %%
import warnings

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from course.checks import check, derive
from course.checks.models import check_masked_stats, check_receptive_field, check_tdnn_layer
from course.models.receptive_field import measured_receptive_field, receptive_field
from course.models.tdnn import FRAME_LAYERS, XVector
from course.pooling import build as build_pooling
from course.viz.models import plot_receptive_field, plot_sqrt_gradients

torch.manual_seed(SEED)

# %% [markdown]
# ## 1. A TDNN layer is a dilated convolution
#
# A time-delay layer with context $\{t-2,\ t,\ t+2\}$ computes, for every frame $t$,
#
# $$y_t = W_{-1}\,x_{t-2} + W_0\,x_t + W_{+1}\,x_{t+2} + b ,$$
#
# the same weights at every $t$. That is a 1-D convolution over time with kernel size $k=3$ and
# dilation $d=2$ (the taps are $d$ frames apart). With "same" zero padding of $d(k-1)/2$ frames on
# each side the output keeps all $T$ frames. Written as the formula, one frame at a time:

# %%
def tdnn_by_hand(x, weight, bias, offsets):
    """y_t = Σ_j W_j x_{t + offset_j} + b, with x = 0 outside the utterance. x: (C, T)."""
    channels, frames = x.shape
    y = torch.zeros(weight.shape[0], frames)
    for t in range(frames):
        y[:, t] = bias
        for j, offset in enumerate(offsets):
            if 0 <= t + offset < frames:
                y[:, t] += weight[:, :, j] @ x[:, t + offset]
    return y


x = torch.randn(1, FEATURES, 20)
layer = nn.Conv1d(FEATURES, 16, kernel_size=3, dilation=2, padding=2)
y_hand = tdnn_by_hand(x[0], layer.weight.detach(), layer.bias.detach(), offsets=[-2, 0, 2])
derive(y_hand, layer(x)[0], name="context {t−2, t, t+2} = Conv1d(k=3, d=2)")

# %% [markdown]
# ## 2. The x-vector's frame layers
#
# Snyder et al.'s Table 1 stacks five such layers. Each widens the receptive field by $(k-1)\,d$
# frames, so one frame of the last layer sees $1 + \sum_\ell (k_\ell - 1)\,d_\ell$ input frames:
#
# | layer | context | as Conv1d | width |
# |---|---|---|---|
# | frame1 | $[t-2, t+2]$ | $k=5, d=1$ | 512 |
# | frame2 | $\{t-2, t, t+2\}$ | $k=3, d=2$ | 512 |
# | frame3 | $\{t-3, t, t+3\}$ | $k=3, d=3$ | 512 |
# | frame4 | $\{t\}$ | $k=1$ | 512 |
# | frame5 | $\{t\}$ | $k=1$ | 1500 |
#
# Each is Conv1d → ReLU → BatchNorm in `course.models.tdnn.XVector`. The shapes, layer by layer:

# %%
model = XVector(in_dim=FEATURES).eval()
x = torch.randn(2, FEATURES, FRAMES)
h = x
print(f"input            {tuple(h.shape)}")
with torch.no_grad():
    for name, layer in zip(["frame1", "frame2", "frame3", "frame4", "frame5"], model.frames, strict=True):
        h = layer(h)
        print(f"{name:6s} k={layer.conv.kernel_size[0]} d={layer.conv.dilation[0]}  {tuple(h.shape)}")
    pooled = model.pooling(h)
    print(f"stats pooling    {tuple(pooled.shape)}")
    embedding = model.segment6(pooled)
    print(f"segment6 (embedding) {tuple(embedding.shape)}")
    derive(embedding, model(x), name="layer-by-layer x-vector")

# %% [markdown]
# The parameters up to the embedding, compared with SpeechBrain's `Xvector` at 80-dim input (same
# layers; it uses LeakyReLU, which has no parameters), and the share of segment6 (3000 × 512 weights):

# %%
from speechbrain.lobes.models.Xvector import Xvector as SpeechBrainXvector


def count(module):
    return sum(p.numel() for p in module.parameters())


embedding_part = count(model) - count(model.segment7)
speechbrain_count = count(SpeechBrainXvector(in_channels=FEATURES))
segment6_share = count(model.segment6) / embedding_part
print(f"parameters up to the embedding: {embedding_part:,} (SpeechBrain's Xvector: {speechbrain_count:,}); "
      f"segment7, used only in training, adds {count(model.segment7):,}")
print(f"segment6 holds {count(model.segment6):,} of them, {segment6_share:.0%}")
assert embedding_part == speechbrain_count

# %% [markdown]
#
# The receptive field, counted from the table and measured with autograd (the input frames whose
# gradient reaches the middle output frame):

# %%
names, counted, measured = [], [], []
for depth in range(1, len(FRAME_LAYERS) + 1):
    layers = model.frames[:depth]

    def upto(x, layers=layers):
        for layer in layers:
            x = layer(x)
        return x

    names.append(f"frame{depth}")
    counted.append(receptive_field((k, d) for _, k, d in FRAME_LAYERS[:depth]))
    measured.append(measured_receptive_field(upto, FEATURES, frames=41))
print(dict(zip(names, measured, strict=True)))
assert counted == measured and measured[-1] == 15  # the 15 frames (150 ms) of the text below
fig = plot_receptive_field(names, counted, measured, title="x-vector: receptive field of the frame layers")
plt.show()

# %% [markdown]
# Fifteen frames, 150 ms: each frame-level vector describes a syllable-sized window. Everything
# longer-range is left to the pooling.
#
# ## 3. Statistics pooling: TAP, TSDP and TSTP
#
# Over the $T$ valid frames $h_1,\dots,h_T \in \mathbb{R}^D$ of an utterance:
#
# $$\mu = \frac{1}{T}\sum_{t=1}^{T} h_t \ \ (\text{TAP}), \qquad
# \sigma = \sqrt{\max\Big(\frac{1}{T}\sum_{t=1}^{T} (h_t-\mu)^{\odot 2},\ \epsilon\Big)} \ \ (\text{TSDP}), \qquad
# [\mu;\sigma] \in \mathbb{R}^{2D} \ \ (\text{TSTP, the x-vector's}),$$
#
# with the floor $\epsilon = 10^{-5}$ taken element-wise (section 5 says why).
#
# In a padded batch "valid" matters: the mean must divide by each utterance's own $T_b$, not by the
# padded length. By hand, with a mask:

# %%
frames_batch = torch.randn(3, 8, FRAMES)
lengths = torch.tensor([FRAMES, FRAMES // 2, 1])
mask = (torch.arange(FRAMES)[None, :] < lengths[:, None]).unsqueeze(1).float()  # (B, 1, T)
mean = (frames_batch * mask).sum(-1) / lengths[:, None]
var = ((frames_batch - mean[..., None]) ** 2 * mask).sum(-1) / lengths[:, None]
std = var.clamp(min=1e-5).sqrt()

derive(mean, build_pooling("TAP", 8)(frames_batch, lengths), name="TAP μ")
derive(std, build_pooling("TSDP", 8)(frames_batch, lengths), name="TSDP σ")
derive(torch.cat([mean, std], 1), build_pooling("TSTP", 8)(frames_batch, lengths), name="TSTP [μ; σ]")

# %% [markdown]
# ## 4. Biased or unbiased variance?
#
# Statistics textbooks divide by $T-1$ to make the variance estimate unbiased; `torch.var` and
# `torch.std` do so by default. Pooling should not: the factor $\sqrt{T/(T-1)}$ changes the
# embedding with the utterance length for no reason, and at $T=1$ it divides by zero.

# %%
for t in [1, 2, 5, 20, 200]:
    h1 = torch.randn(4, t)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns about the zero degrees of freedom at T = 1
        unbiased = h1.std(dim=-1, unbiased=True)
    biased = h1.std(dim=-1, unbiased=False)
    print(f"T = {t:3d}: unbiased σ / biased σ = {(unbiased / biased).mean().item():.4f}, "
          f"√(T/(T−1)) = {np.sqrt(t / (t - 1)) if t > 1 else float('inf'):.4f}")
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    assert torch.isnan(torch.randn(4, 1).std(dim=-1)).all()  # unbiased σ of one frame: NaN

one_frame = build_pooling("TSTP", 4)(torch.randn(1, 4, 1))
print("course's TSTP on one frame:", one_frame)
assert torch.isfinite(one_frame).all()

# %% [markdown]
# A related trap: the one-pass formula $\sigma^2 = \overline{h^2} - \mu^2$ subtracts two large,
# nearly equal numbers when $|\mu| \gg \sigma$, and in float32 the difference can come out negative
# (a NaN after the square root) or simply wrong. The two-pass $\frac1T\sum (h_t-\mu)^2$ cannot go
# negative:

# %%
h2 = 1000.0 + 0.01 * torch.randn(1, 1, 400)
one_pass = (h2**2).mean(-1) - h2.mean(-1) ** 2
two_pass = ((h2 - h2.mean(-1, keepdim=True)) ** 2).mean(-1)
exact = h2.double().var(-1, unbiased=False)
print(f"one-pass {one_pass.item():+.3e}   two-pass {two_pass.item():.3e}   float64 {exact.item():.3e}")
assert abs(two_pass.item() - exact.item()) < 0.01 * exact.item()

# %% [markdown]
# ## 5. The infinite gradient of √ at zero variance
#
# $\partial\sqrt{v}/\partial v = 1/(2\sqrt{v})$ grows without bound as $v \to 0$, and at $v=0$
# exactly, for constant frames (silence after a voice-activity detector, a padded copy, a dead
# channel), autograd multiplies $\infty$ by $\partial v/\partial h_t = 0$ and returns NaN, which then
# poisons every weight in one optimiser step. Two fixes: $\sqrt{v+\epsilon}$, whose slope is at most
# $1/(2\sqrt\epsilon)$, or $\sqrt{\max(v,\epsilon)}$, flat below $\epsilon$ (the course's choice).

# %%
EPS = 1e-5
formulas = {
    "√v": lambda v: v.sqrt(),
    "√(v + ε)": lambda v: (v + EPS).sqrt(),
    "√max(v, ε)": lambda v: v.clamp(min=EPS).sqrt(),
}
constant = torch.ones(1, 50, requires_grad=True)  # one channel, constant over 50 frames
for name, sigma in formulas.items():
    constant.grad = None
    sigma(constant.var(dim=-1, unbiased=False)).sum().backward()
    print(f"{name:12s} ∂σ/∂h at constant input: {constant.grad[0, :3].tolist()}")

variances = np.logspace(-12, 0, 25)
slopes = {}
for name, sigma in formulas.items():
    v = torch.tensor(variances, requires_grad=True)
    sigma(v).sum().backward()
    slopes[name] = v.grad.numpy()
v0 = torch.zeros(1, requires_grad=True)
formulas["√v"](v0).sum().backward()
print("∂√v/∂v at v = 0:", v0.grad.item())
assert np.isinf(v0.grad.item()) and slopes["√max(v, ε)"].max() <= 1 / (2 * np.sqrt(EPS)) + 1e-6
fig = plot_sqrt_gradients(variances, slopes,
                          title="∂σ/∂v: unbounded for √v, at most 1/(2√ε) with ε")
plt.show()

# %% [markdown]
# ## 6. Lengths and batch invariance
#
# Training batches hold utterances of different lengths, zero-padded to the longest. Without care the
# padding changes the result twice: a convolution near the end of a short utterance reads padded
# frames, and the pooling averages them. `XVector` takes `lengths` and (i) sets padded frames to zero
# before each convolution that reads neighbours, so an utterance sees exactly what it sees alone, and
# (ii) pools over valid frames only. The embedding of every utterance in a padded batch then equals
# its embedding alone, whatever garbage the padding holds. This holds in evaluation mode (`model`
# was put in `.eval()` above): in training mode BatchNorm normalises with the statistics of the
# batch, and those include the padded frames.

# %%
lengths = torch.tensor([FRAMES, FRAMES * 2 // 3, 17])
batch = torch.randn(3, FEATURES, FRAMES)
for b, n in enumerate(lengths.tolist()):
    batch[b, :, n:] = 123.0  # garbage in the padding
with torch.no_grad():
    batched = model(batch, lengths)
    alone = torch.cat([model(batch[b:b + 1, :, :n]) for b, n in enumerate(lengths.tolist())])
    ignoring_lengths = model(batch)
print(f"max |batched − alone| with lengths:    {(batched - alone).abs().max().item():.2e}")
print(f"max |batched − alone| without lengths: {(ignoring_lengths - alone).abs().max().item():.2e}")
torch.testing.assert_close(batched, alone, rtol=1e-5, atol=1e-5)

# %% [markdown]
# ## Exercises
#
# **Exercise 1.** Write a TDNN layer with "same" zero padding for any kernel and dilation,
# `tdnn_layer(x, weight, bias, dilation)` for `x` of shape (B, C, T) and `weight` (O, C, k), without
# `nn.Conv1d`/`F.conv1d` (loop over the k taps and shift the frames). The check compares values and
# gradients with `F.conv1d`.

# %%
def tdnn_layer(x, weight, bias, dilation):
    # your code here: for tap j at offset (j − (k − 1)/2)·dilation, shift x along time with zeros
    return None


check_tdnn_layer(tdnn_layer)

# %% tags=["solution"] jupyter={"source_hidden": true}
def tdnn_layer(x, weight, bias, dilation):
    kernel, frames = weight.shape[-1], x.shape[-1]
    pad = dilation * (kernel - 1) // 2
    padded = F.pad(x, (pad, pad))
    y = bias[None, :, None].expand(x.shape[0], -1, frames)
    for j in range(kernel):
        shifted = padded[:, :, j * dilation: j * dilation + frames]  # x_{t + (j − (k−1)/2)·d}
        y = y + torch.einsum("oc,bct->bot", weight[:, :, j], shifted)
    return y


assert check_tdnn_layer(tdnn_layer)

# %% [markdown]
# **Exercise 2.** Write masked statistics pooling `masked_stats(x, lengths)` → $[\mu;\sigma]$ of shape
# (B, 2C): biased variance over the valid frames, $\sigma=\sqrt{\max(v, 10^{-5})}$. The check includes a
# one-frame utterance and constant input, and compares gradients too: $\sqrt{v+\epsilon}$ agrees with
# $\sqrt{\max(v,\epsilon)}$ to about $10^{-6}$ in value but not in gradient, and the check says so when it
# meets it.

# %%
def masked_stats(x, lengths):
    # your code here
    return torch.cat([x.mean(-1), x.std(-1)], dim=1)  # not yet: ignores lengths, unbiased, NaN at T=1


check_masked_stats(masked_stats)

# %% tags=["solution"] jupyter={"source_hidden": true}
def masked_stats(x, lengths):
    mask = (torch.arange(x.shape[-1])[None, :] < lengths[:, None]).unsqueeze(1).to(x.dtype)
    count = mask.sum(-1)
    mean = (x * mask).sum(-1) / count
    var = ((x - mean[..., None]) ** 2 * mask).sum(-1) / count
    return torch.cat([mean, var.clamp(min=1e-5).sqrt()], dim=1)


assert check_masked_stats(masked_stats)

# %% [markdown]
# **Exercise 3.** Write `my_receptive_field(layers)` for a list of `(kernel, dilation)` pairs: how many
# input frames one output frame sees. Then use it: how many frames does ECAPA-TDNN's first layer
# (k=5) followed by one Res2 path of seven k=3, d=2 convolutions see? Put the number in `ecapa_frames`.

# %%
def my_receptive_field(layers):
    # your code here
    return None


check_receptive_field(my_receptive_field)
ecapa_frames = None  # your answer
check(ecapa_frames, receptive_field([(5, 1)] + [(3, 2)] * 7), name="frames seen by layer1 + one Res2 path")

# %% tags=["solution"] jupyter={"source_hidden": true}
def my_receptive_field(layers):
    return 1 + sum((kernel - 1) * dilation for kernel, dilation in layers)


assert check_receptive_field(my_receptive_field)
ecapa_frames = my_receptive_field([(5, 1)] + [(3, 2)] * 7)
print("layer1 + seven (k=3, d=2) convolutions:", ecapa_frames, "frames")
assert check(ecapa_frames, receptive_field([(5, 1)] + [(3, 2)] * 7), name="frames seen by layer1 + one Res2 path")
