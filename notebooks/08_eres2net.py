# %% [markdown]
# # 08 · ERes2Net: Res2Net in 2-D, with attentional local and global feature fusion
#
# ERes2Net (Chen, Zheng, Wang, Cheng, Chen, Qi, Interspeech 2023, arXiv:2305.12838, seed 004) treats
# the fbank as an image: a 2-D ResNet whose blocks are Res2Net blocks, where features of different
# scales are *fused by attention* instead of added: inside a block (local feature fusion, LFF) and
# across stages of different time resolution (global feature fusion, GFF). It is also the first
# model of this course that downsamples time: three stride-2 stages shrink $T$ eight-fold, so the
# lengths of a padded batch must follow every stride.
#
# This notebook builds the pieces in order, Res2Net block → AFF → LFF → GFF, each by hand with its
# shapes and each asserted equal to `course.models.eres2net`; draws how the valid lengths shrink;
# compares parameters, FLOPs and forward time with ECAPA-TDNN on the same input; trains a small
# ERes2Net on SynthVox next to ECAPA under the same budget; and shows the fusion weights of the
# trained model over time and frequency.

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

FRAMES = pick(200, 64)  # frames of the comparison input (2 s at 10 ms)
TIMING_REPEATS = pick(3, 1)  # forward-time repeats (medians are reported)
TRAIN_MODEL = dict(channels=4, blocks=(1, 1, 1, 1))  # the small ERes2Net trained on SynthVox (m = 4)
SEED = 0

# %%
import math

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F

from course import models
from course.checks import derive
from course.checks.models_2d import frames_alone
from course.models.cost import count_parameters, forward_flops, median_seconds
from course.models.eres2net import AFF, ERes2Net

torch.manual_seed(SEED)


def randomise_batchnorm(model):
    """Non-trivial running statistics, so that eval-mode BatchNorm is not the identity."""
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d | torch.nn.BatchNorm1d):
            module.running_mean.normal_(0, 0.1)
            module.running_var.uniform_(0.5, 1.5)
    return model.eval()


def bn(x, norm):
    """Eval-mode BatchNorm from its buffers: (x − mean) / √(var + eps) · γ + β per channel."""
    shape = (1, -1) + (1,) * (x.dim() - 2)
    return ((x - norm.running_mean.view(shape)) / torch.sqrt(norm.running_var.view(shape) + norm.eps)
            * norm.weight.view(shape) + norm.bias.view(shape))


def act(x):
    """3D-Speaker's activation: ReLU clipped at 20."""
    return x.clamp(0, 20)


# %% [markdown]
# ## 1. The fbank as an image, and the stem
#
# A batch of fbank frames (B, 80, T) becomes a one-channel image (B, 1, F = 80, T): frequency is the
# height, time the width. The stem is a 3×3 convolution to $m$ channels (32 in the base model),
# BatchNorm and a ReLU. We work with a small random model ($m = 8$) whose every piece we rebuild:

# %%
model = randomise_batchnorm(ERes2Net(channels=8, embed_dim=32))
x = torch.randn(2, 80, 64)
with torch.no_grad():
    image = x.unsqueeze(1)  # (B, 1, F, T)
    stem = torch.relu(bn(F.conv2d(image, model.stem.weight, padding=1), model.stem_bn))
    derive(stem, model.trace(x)["stem"], name="stem: ReLU(BN(conv3×3(x))) = the model's stem")
print("input", tuple(x.shape), "→ image", tuple(image.shape), "→ stem", tuple(stem.shape))

# %% [markdown]
# ## 2. The Res2Net basic block
#
# A block's *planes* (the name ResNet code gives it) is its base channel count: stage $j$'s blocks have
# $2^{j-1}m$ planes and output twice that (expansion 2). A basic block (Res2Net, Gao et al. 2019, as
# 3D-Speaker builds it): a 1×1 convolution to $w\cdot s$
# channels ($s = 2$ splits of width $w$ = half the block's planes), split into $x_1, x_2$; then
# $y_1 = K_1(x_1)$ and $y_2 = K_2(x_2 + y_1)$, each $K_i$ a 3×3 convolution, BatchNorm and the clipped
# ReLU; concatenated, a 1×1 convolution to twice the planes (expansion 2), BatchNorm, plus the
# shortcut, clipped ReLU. The second split sees the first one's output: its receptive field is larger.
# The first block of stage 1:

# %%
block = model.stages[0][0]
with torch.no_grad():
    h = act(bn(F.conv2d(stem, block.conv1.weight), block.bn1))
    x1, x2 = h.split(block.width, dim=1)
    y1 = act(bn(F.conv2d(x1, block.convs[0].weight, padding=1), block.bns[0]))
    y2 = act(bn(F.conv2d(x2 + y1, block.convs[1].weight, padding=1), block.bns[1]))
    out = bn(F.conv2d(torch.cat([y1, y2], dim=1), block.conv3.weight), block.bn3)
    shortcut = bn(F.conv2d(stem, block.shortcut[0].weight), block.shortcut[1])  # 1×1: m → 2m channels
    res2 = act(out + shortcut)
    derive(res2, block(stem), name="Res2Net basic block")
print(f"planes {model.channels}: splits", tuple(x1.shape), tuple(x2.shape), "→ block output", tuple(res2.shape))

# %% [markdown]
# ## 3. Attentional feature fusion (AFF)
#
# Adding two feature maps weighs them equally everywhere. AFF (Dai et al., WACV 2021, as ERes2Net uses
# it) lets a small network decide, per channel, frequency and frame, how much of each to keep:
#
# $$A = \mathrm{BN}\big(W_2\,\mathrm{SiLU}(\mathrm{BN}(W_1 [x; y]))\big),\qquad w = 1 + \tanh A \in (0, 2),
# \qquad z = x \odot w + y \odot (2 - w),$$
#
# with $W_1, W_2$ 1×1 convolutions to $C/r$ and $C$ channels ($r = 4$). At $w = 1$ it is the plain sum
# $x + y$; the weights always add up to 2.
#
# Dai et al. fuse with a sigmoid gate, $Z = M\odot X + (1 - M)\odot Y$, $M \in (0, 1)$. Since
# $1 + \tanh a = 2\sigma(2a)$, ERes2Net's fusion is that gate with the logit doubled, output doubled:
# $z = 2\,[M\odot x + (1 - M)\odot y]$ with $M = \sigma(2A)$. So $M = \tfrac12$ gives $x + y$ rather than
# the mean $\tfrac12(x + y)$. (Dai et al. also compute $M$ from $X + Y$ with a local and a global
# branch; ERes2Net computes $A$ from the concatenation $[x; y]$ with the local branch only.)

# %%
aff = AFF(16)
randomise_batchnorm(aff)
xa, ya = torch.randn(2, 16, 10, 12), torch.randn(2, 16, 10, 12)
with torch.no_grad():
    W1, W2 = aff.attention[0], aff.attention[3]
    inner = F.silu(bn(F.conv2d(torch.cat([xa, ya], dim=1), W1.weight, W1.bias), aff.attention[1]))
    A = bn(F.conv2d(inner, W2.weight, W2.bias), aff.attention[4])
    w = 1 + torch.tanh(A)
    z = xa * w + ya * (2 - w)
    derive(z, aff(xa, ya), name="AFF: x ⊙ w + y ⊙ (2 − w)")
    print(f"[x; y] {tuple(torch.cat([xa, ya], 1).shape)} → W1 {tuple(inner.shape)} → W2 {tuple(A.shape)}; "
          f"w in [{w.min():.2f}, {w.max():.2f}]")
    derive(aff(xa, xa), 2 * xa, name="AFF of two equal maps = their sum, whatever w")
    M = torch.sigmoid(2 * A)
    derive(w, 2 * M, name="1 + tanh A = 2σ(2A)")
    derive(z, 2 * (M * xa + (1 - M) * ya), name="AFF = twice Dai et al.'s gate M ⊙ x + (1 − M) ⊙ y, M = σ(2A)")

# %% [markdown]
# ## 4. Local feature fusion (LFF): AFF inside the block
#
# In stages 3 and 4, the blocks fuse each split with the previous split's output by an AFF instead of
# adding them: $y_2 = K_2(\mathrm{AFF}(y_1, x_2))$. Everything else is the basic block. The first block
# of stage 3 (it also halves frequency and time: its 1×1 convolutions have stride 2):

# %%
with torch.no_grad():
    trace = model.trace(x)
    s2 = trace["s2"]
    block = model.stages[2][0]
    h = act(bn(F.conv2d(s2, block.conv1.weight, stride=2), block.bn1))
    x1, x2 = h.split(block.width, dim=1)
    y1 = act(bn(F.conv2d(x1, block.convs[0].weight, padding=1), block.bns[0]))
    y2 = act(bn(F.conv2d(block.fuse[0](y1, x2), block.convs[1].weight, padding=1), block.bns[1]))
    out = bn(F.conv2d(torch.cat([y1, y2], dim=1), block.conv3.weight), block.bn3)
    shortcut = bn(F.conv2d(s2, block.shortcut[0].weight, stride=2), block.shortcut[1])
    lff = act(out + shortcut)
    derive(lff, block(s2), name="ERes2Net block with local feature fusion")
print("stage-2 output", tuple(s2.shape), "→ first stage-3 block", tuple(lff.shape))

# %% [markdown]
# ## 5. Global feature fusion (GFF): AFF across stages
#
# Each stage's output has half the time and frequency resolution of the previous one. GFF carries the
# finer map along: a 3×3 stride-2 convolution $D_j$ halves its resolution and doubles its channels, and
# an AFF fuses it with the next stage's output ($g_1 = s_1$): $g_2 = \mathrm{AFF}(s_2, D_1(g_1))$,
# $g_3 = \mathrm{AFF}(s_3, D_2(g_2))$, $g_4 = \mathrm{AFF}(s_4, D_3(g_3))$; $g_4$ is what the pooling sees.

# %%
with torch.no_grad():
    g = trace["s1"]
    for j in (2, 3, 4):
        down = F.conv2d(g, model.downsample[j - 2].weight, stride=2, padding=1)
        g = model.global_fuse[j - 2](trace[f"s{j}"], down)
        derive(g, trace[f"g{j}"], name=f"g{j} = AFF(s{j}, D{j - 1}(g{j - 1}))")
        print(f"  s{j} {tuple(trace[f's{j}'].shape)}, D{j - 1}(previous) {tuple(down.shape)}")
    frames, _ = model.frame_features(x)
    derive(g, frames, name="g4 = the frame features the pooling receives")

# %% [markdown]
# ## 6. The whole model, and its size
#
# The pooling (TSTP by default: mean and standard deviation over time) sees $16m$ channels times
# $\lceil F/8 \rceil = 10$ frequency bins as $16m\cdot 10$ channels, and a linear layer gives the
# 192-d embedding. The base model ($m = 32$) and the large one ($m = 64$), shapes and parameters:

# %%
base = ERes2Net(channels=32).eval()
with torch.no_grad():
    full = base.trace(torch.randn(1, 80, FRAMES))
for name in ("s1", "s2", "s3", "s4", "g4"):
    print(f"{name}: {tuple(full[name].shape)}")
print(f"pooling: {base.pooling.in_dim} channels (16m·F/8) → {base.pooling.out_dim} → embedding {base.embed_dim}")
sizes = {"base (m=32)": count_parameters(base), "large (m=64)": count_parameters(ERes2Net(channels=64))}
print({k: f"{v:,}" for k, v in sizes.items()})
assert sizes == {"base (m=32)": 6_610_688, "large (m=64)": 22_462_784}  # 3D-Speaker's classes, counted

# %% [markdown]
# These are counts of 3D-Speaker's model classes. Its READMEs disagree: an earlier version of
# `egs/3dspeaker/sv-eres2net/README.md` lists ERes2Net Base at 4.6M and Large at 18.3M parameters,
# later READMEs 6.61M and 22.46M, which are the counts of the classes above.

# %% [markdown]
# ## 7. Lengths through the strides
#
# A stride-2 convolution (3×3 with padding 1, or 1×1) keeps output frame $t$ from input frames around
# $2t$: $L$ valid frames become $\lceil L/2 \rceil$, three times. Padded frames are set to zero before
# every 3×3 convolution, the only layers that mix time, which is exactly what an utterance alone sees
# beyond its end. The model keeps track of the valid lengths of a padded batch (`strided_lengths`);
# we compare that bookkeeping with what it must equal, the number of frames each stage has when the
# utterance runs *alone* (no padding, no lengths: `frames_alone` reads the width of each stage's
# output), and with $\lceil L/2 \rceil$ written out. The lengths and masks are a course addition:
# 3D-Speaker's ERes2Net takes no lengths. The valid frames of five utterances, stage by stage:

# %%
lengths = torch.tensor([FRAMES, 3 * FRAMES // 4, FRAMES // 2 + 1, 13, 1])
batch = torch.randn(len(lengths), 80, FRAMES)
for b, n in enumerate(lengths.tolist()):
    batch[b, :, n:] = 1e3  # garbage in the padding
with torch.no_grad():
    traced = model.trace(batch, lengths)
stage_lengths = [traced[f"lengths{j}"] for j in (1, 2, 3, 4)]
derive(torch.stack(stage_lengths), frames_alone(model, batch, lengths),
       name="the model's lengths of a padded batch = the frames of each utterance run alone")
by_hand = [lengths.tolist()]
for _ in range(3):
    by_hand.append([math.ceil(n / 2) for n in by_hand[-1]])
derive(torch.stack(stage_lengths), torch.tensor(by_hand), name="= ⌈L/2⌉ at each of the three strides")
for j, valid in enumerate(stage_lengths, start=1):
    print(f"stage {j}: {valid.tolist()}")
widths = [FRAMES] + [traced[f"s{j}"].shape[-1] for j in (2, 3, 4)]

fig, axes = plt.subplots(4, 1, figsize=(9, 5.5), sharex=False)
for ax, stage, valid, width in zip(axes, ("input / stage 1", "stage 2", "stage 3", "stage 4"), stage_lengths,
                                   widths, strict=True):
    for b, n in enumerate(valid.tolist()):
        ax.barh(b, width, color="0.88", edgecolor="0.6")
        ax.barh(b, n, color="tab:blue")
        ax.text(width * 1.01, b, f"{n}", va="center", fontsize=8)
    ax.set_xlim(0, widths[0] * 1.08)
    ax.set_yticks(range(len(lengths)), [f"utt {b}" for b in range(len(lengths))], fontsize=7)
    ax.invert_yaxis()
    ax.set_title(f"{stage}: T = {width} frames (blue: valid, grey: padding)", fontsize=9)
axes[-1].set_xlabel("frame index at that stage")
fig.tight_layout()
plt.show()

with torch.no_grad():
    batched = model(batch, lengths)
    alone = torch.cat([model(batch[b:b + 1, :, :n]) for b, n in enumerate(lengths.tolist())])
print(f"padded batch against one by one: largest difference {(batched - alone).abs().max():.2e}")
derive(batched, alone, atol=1e-5, rtol=0, name="padded batch = each utterance alone (down to 1 frame)")

# %% [markdown]
# Any $L \ge 1$ survives the three strides ($\lceil 1/2 \rceil = 1$), so one frame is the shortest
# utterance the model takes; a length of 0 is refused with an error naming `lengths`:

# %%
try:
    model(batch[:1], torch.tensor([0]))
    raise AssertionError("a length of 0 was accepted")
except ValueError as error:
    print(f"ValueError: {error}")
    assert "lengths" in str(error)

# %% [markdown]
# One frame at stage 4 is fine for the course's TSTP, whose variance is the biased $1/T$ one: a single
# frame has variance 0 and standard deviation $\sqrt{\max(0, \varepsilon)} = \sqrt{\varepsilon}$, the
# floor. 3D-Speaker's TSTP computes `torch.var`, unbiased ($1/(T-1)$) by default, which is $0/0$, NaN,
# for one frame: every utterance whose stage-4 map has a single frame, that is every utterance of at
# most the number of input frames printed below, would get a NaN embedding there.

# %%
import warnings

from course.pooling import build as build_pooling

one_frame = torch.randn(1, 4, 1)
print("course TSTP on one frame (means, then standard deviations):", build_pooling("TSTP", 4)(one_frame)[0].tolist())
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # torch warns that the degrees of freedom are ≤ 0
    unbiased = torch.var(one_frame, dim=-1)
print("torch.var (unbiased) of one frame:", unbiased[0].tolist())
assert torch.isnan(unbiased).all()
single = [n for n in range(1, 17) if frames_alone(model, torch.randn(1, 80, n), torch.tensor([n]))[-1, 0] == 1]
longest_single = max(single)
assert single == list(range(1, longest_single + 1))
print(f"input lengths with one frame at stage 4: 1 … {longest_single}")

# %% [markdown]
#
# ## 8. Parameters, FLOPs and forward time against ECAPA, on one input
#
# Similar parameter counts can hide very different costs: a 2-D convolution is applied at every
# frequency bin of every frame. Measured here on the same input (one utterance of `FRAMES` frames);
# FLOPs counted by torch's `FlopCounterMode` (matrix products and convolutions), times as the median
# of a few runs, wall clock and CPU time (on a shared machine the CPU time is the steadier one;
# `benchmarks/models.py` measures the same with training steps).

# %%
def values_written(candidate, x):
    """Values the leaf layers (convolutions, BatchNorms, activations…) write in one forward pass: a lower
    bound on the activation memory traffic (functional operations, such as the AFF's products, are not hooked)."""
    total = 0

    def count(module, inputs, output):
        nonlocal total
        total += output.numel() if isinstance(output, torch.Tensor) else 0

    leaves = [m for m in candidate.modules() if not list(m.children())]
    handles = [m.register_forward_hook(count) for m in leaves]
    with torch.no_grad():
        candidate(x)
    for handle in handles:
        handle.remove()
    return total


one = torch.randn(1, 80, FRAMES)
compared = {"ECAPA C=512": models.build("ecapa", channels=512).eval(), "ERes2Net base": base,
            "ACA-Net example": models.build("aca_net").eval()}
table = {}
for name, candidate in compared.items():
    with torch.no_grad():
        wall, cpu = median_seconds(lambda candidate=candidate: candidate(one), repeats=TIMING_REPEATS,
                                   warmup=pick(1, 0))
    table[name] = (count_parameters(candidate), forward_flops(candidate, one), wall, cpu,
                   values_written(candidate, one))
reference = table["ECAPA C=512"]
print(f"input {tuple(one.shape)}")
for name, (params, flops, wall, cpu, written) in table.items():
    print(f"{name:16s} {params:>10,} params ({params / reference[0]:.2f}×)  {flops / 1e9:6.2f} GFLOPs "
          f"({flops / reference[1]:.2f}×)  forward {1e3 * wall:7.1f} ms wall ({wall / reference[2]:.2f}×), "
          f"{1e3 * cpu:7.1f} ms CPU ({cpu / reference[3]:.2f}×)")
    print(f"{'':16s} {written / 1e6:7.2f} M values written by its layers ({written / reference[4]:.2f}×), "
          f"{flops / cpu / 1e9:6.1f} GFLOP/s achieved")
assert table["ERes2Net base"][1] > 2 * reference[1]  # the 2-D convolutions cost more per parameter
eres_flop_ratio = table["ERes2Net base"][1] / reference[1]
eres_values_ratio = table["ERes2Net base"][4] / reference[4]
assert eres_values_ratio > 2 * eres_flop_ratio  # its maps are large for the arithmetic done on them

# %% [markdown]
# FLOPs count only the multiply-adds of matrix products and convolutions, and the time ratio to ECAPA
# (printed) need not follow the FLOP ratio: on a CPU it can be far larger, by how much depends on the
# machine and on what else runs on it (rerun the cell to see it move). The counts above say why it can
# be larger: ERes2Net's layers
# write many times more values than ECAPA's, relative to the arithmetic they do (the printed ratio of
# values is well above the FLOP ratio; asserted). Its convolutions have few channels (from $m$ at
# full resolution, 80 bins × $T$ frames, to $16m$ at an eighth of each) over large maps, and every one
# is followed by a BatchNorm and a clipped ReLU over the same map, plus the AFFs' elementwise
# operations: work that is memory traffic rather than arithmetic, which `FlopCounterMode` does not
# count (compare the achieved GFLOP/s printed for each model). A GPU, or a CPU with more memory
# bandwidth, changes the time ratio; the FLOP and value counts do not depend on the machine.

# %% [markdown]
# ## 9. A small ERes2Net trained on SynthVox, next to ECAPA
#
# The same recipe as ECAPA's (`course.train.small_config`: steps, batch, crops, AAM-softmax head,
# schedule, seed), the model chosen by registry name: an ERes2Net with $m = 4$ and one block per stage
# (`TRAIN_MODEL`), TSTP pooling, the same embedding size. EER on the SynthVox test trials:

# %%
from course.data import default_corpus
from course.evaluate import embed_and_score
from course.train import cached_fit, small_config

ecapa_run = cached_fit(small_config(pooling="ASTP"))
eres_run = cached_fit(small_config(model="eres2net", pooling="TSTP",
                                   model_kwargs=dict(TRAIN_MODEL, embed_dim=ecapa_run.model.embed_dim)))
corpus = default_corpus()
for name, run in (("ECAPA (small_config)", ecapa_run), ("ERes2Net (m = 4)", eres_run)):
    result = embed_and_score(run.model.cpu().eval(), corpus)
    print(f"{name:22s} {count_parameters(run.model):>9,} parameters, {len(run.losses)} steps, "
          f"{'cached' if run.from_cache else f'{run.seconds:.0f} s'}, "
          f"loss {run.losses[0]:.2f} → {run.losses[-1]:.2f}, EER {100 * result['eer']:.1f}%")
small_eres = eres_run.model
linear_share = count_parameters(small_eres.embedding) / count_parameters(small_eres)
print(f"ERes2Net (m = 4): {count_parameters(small_eres.embedding):,} of its {count_parameters(small_eres):,} "
      f"parameters ({100 * linear_share:.0f}%) are in the final Linear "
      f"({small_eres.pooling.out_dim} → {small_eres.embed_dim})")

# %% [markdown]
# One seed, one short budget of steps, on a synthetic corpus: the numbers above say how far each
# model got under that budget, not which architecture is better on real speech. The small ERes2Net is
# also not a small version of the base model in the way its parameter count suggests: the printed share
# of its parameters sits in the final Linear, which grows like $m$ (its input is $2\cdot 16m\cdot 10$
# TSTP values) while the convolutions grow like $m^2$, so the smaller $m$, the larger the share of the
# embedding layer, and the fewer parameters are left to the convolutional part that makes ERes2Net
# what it is.
#
# ## 10. The fusion weights of the trained model
#
# GFF's weights $w$ say, at every channel, frequency band and frame, how much of the current stage
# ($w > 1$) or of the carried-along finer stage ($w < 1$) is kept. Averaged over channels, for one test
# utterance, on one colour scale for the three fusions (so that a paler panel is a weaker deviation from
# the plain sum). The channel mean hides the spread of the individual weights, printed below the figure
# next to the spread of the channel means: by the law of total variance the first cannot be smaller.

# %%
from course.audio import read
from course.data.corpus import test_utterances
from course.features import fbank

trained = eres_run.model.cpu().eval()
wave, sample_rate = read(test_utterances(corpus)[0])
feats = fbank(wave, sample_rate)[None]
with torch.no_grad():
    fused = trained.trace(feats)
channel_means = {j: fused[f"w{j}"][0].mean(0).numpy() for j in (2, 3, 4)}  # (F_j, T_j), averaged over channels
half_range = max(float(np.abs(means - 1).max()) for means in channel_means.values())  # one range for all panels
fig, axes = plt.subplots(4, 1, figsize=(9, 8), sharex=True)
seconds = feats.shape[-1] * 0.01
spectrum = axes[0].imshow(feats[0].numpy(), origin="lower", aspect="auto", cmap="magma", extent=(0, seconds, 0, 80))
fig.colorbar(spectrum, ax=axes[0], label="log energy")
axes[0].set_title("Test utterance (log-mel fbank)")
axes[0].set_ylabel("mel bin")
for ax, j in zip(axes[1:], (2, 3, 4), strict=True):
    weights = channel_means[j]
    shown = ax.imshow(weights, origin="lower", aspect="auto", cmap="coolwarm", vmin=1 - half_range,
                      vmax=1 + half_range, extent=(0, seconds, 0, 80))
    ax.set_title(f"GFF weights w of AFF(s{j}, D(g{j - 1})), channel mean: {weights.shape[0]} bands × "
                 f"{weights.shape[1]} frames")
    ax.set_ylabel("mel bin")
    fig.colorbar(shown, ax=ax, label="w (1 = plain sum)")
axes[-1].set_xlabel("time (s)")
fig.tight_layout()
plt.show()
for j in (2, 3, 4):
    w_j = fused[f"w{j}"][0]
    per_element, of_means = float(w_j.std(unbiased=False)), float(w_j.mean(0).std(unbiased=False))
    print(f"w{j}: range of the channel means {channel_means[j].min():.2f} … {channel_means[j].max():.2f}; "
          f"standard deviation per element {per_element:.3f}, of the channel means {of_means:.3f}")
    assert per_element >= of_means - 1e-6  # the law of total variance

# %% [markdown]
# ## Exercises
#
# **Exercise 1.** Write the AFF fusion from the attention logits: `aff_fuse(x, y, a)` returns
# $x\odot w + y\odot(2 - w)$ with $w = 1 + \tanh a$.

# %%
from course.checks.models_2d import check_aff_fuse, check_block_parameters, check_frames_after_strides


def aff_fuse(x, y, a):
    # your code here
    return x * torch.sigmoid(a) + y * (1 - torch.sigmoid(a))  # not yet: Dai et al.'s gate; ERes2Net's is 2σ(2a)


check_aff_fuse(aff_fuse)


# %% tags=["solution"] jupyter={"source_hidden": true}
def aff_fuse(x, y, a):
    w = 1 + torch.tanh(a)
    return x * w + y * (2 - w)


assert check_aff_fuse(aff_fuse)

# %% [markdown]
# **Exercise 2.** How many frames does the pooling receive from an utterance of $L$ frames?
# Write `frames_after_strides(L)`; the check runs a real ERes2Net on an utterance of each
# $L = 1 \dots 69$ alone and counts the frames of its last stage.


# %%
def frames_after_strides(L):
    # your code here
    return L // 8  # not yet: short utterances would vanish


check_frames_after_strides(frames_after_strides)


# %% tags=["solution"] jupyter={"source_hidden": true}
def frames_after_strides(L):
    for _ in range(3):
        L = math.ceil(L / 2)
    return L  # = ⌈L/8⌉: nested ceilings of integer divisions compose


assert check_frames_after_strides(frames_after_strides)

# %% [markdown]
# **Exercise 3.** Count the parameters of one ERes2Net block, `block_parameters(in_planes, planes, stride,
# fuse)`: width $w$ = planes / 2, two splits, expansion 2, no convolution biases, a shortcut (1×1
# convolution + BatchNorm) when the stride or the channels change, and with `fuse` one AFF of $w$ channels
# ($r = 4$, its convolutions with biases).


# %%
def block_parameters(in_planes, planes, stride, fuse):
    # your code here
    return 0


check_block_parameters(block_parameters)


# %% tags=["solution"] jupyter={"source_hidden": true}
def block_parameters(in_planes, planes, stride, fuse):
    width, out = planes // 2, 2 * planes
    count = in_planes * 2 * width + 2 * 2 * width  # conv1 (1×1) + BN
    count += 2 * (9 * width * width + 2 * width)  # K_1, K_2 (3×3) + BNs
    count += 2 * width * out + 2 * out  # conv3 (1×1) + BN
    if stride != 1 or in_planes != out:
        count += in_planes * out + 2 * out  # shortcut
    if fuse:
        inner = max(1, width // 4)
        count += (2 * width * inner + inner) + 2 * inner + (inner * width + width) + 2 * width  # AFF
    return count


assert check_block_parameters(block_parameters)
