# %% [markdown]
# # 03 · ECAPA-TDNN, layer by layer
#
# ECAPA-TDNN (Desplanques, Thienpondt, Demuynck, Interspeech 2020) is the x-vector's TDNN grown up:
# squeeze-and-excitation (SE) blocks that re-weight channels with utterance-level context, Res2Net
# convolutions that grow the receptive field inside a block, aggregation of all blocks' outputs
# (MFA), and attentive statistics pooling (ASTP) with channel-wise attention. This notebook builds
# every layer by hand in front of you, printing each output shape as the WeSpeaker walkthrough
# (seed 001) traces it, (B, 80, T) → (B, 512, T) → … → (B, 1536, T) → (B, 3072) → (B, 192), and
# asserts each one equal to the same layer of `course.models.ecapa`. Then it measures how the
# receptive field grows, counts the parameters of every layer in the WeSpeaker and SpeechBrain
# flavours (and finds the 3,328 parameters that separate them), and looks inside a briefly
# trained model: its SE gates and its attention weights over one utterance.
#
# Two details of the paper are left out here, as in both reference implementations (WeSpeaker's and
# SpeechBrain's): the paper feeds each SE-Res2Block the *sum* of the outputs of all the blocks before
# it (§3.3; here, as in both, each block takes the previous block's output), and it ends with a fully
# connected layer followed by BatchNorm (here, as in both, the embedding is the linear layer's output).

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
from course.env import is_smoke, pick

CHANNELS = 512  # C of layer1 and the SE-Res2Blocks, as in seed 001 (1024 in the large recipes)
BATCH = 2
FRAMES = pick(200, 80)  # 2 s of 10 ms frames
SEED = 0

# %%
import math

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F

from course.checks import derive
from course.checks.models import check_ecapa_param_count, check_res2, check_se_gate
from course.models.ecapa import ECAPA_TDNN
from course.models.receptive_field import measured_receptive_field
from course.viz.attention import plot_attention_timeline
from course.viz.models import plot_parameter_bars, plot_receptive_field, plot_se_gates

torch.manual_seed(SEED)
model = ECAPA_TDNN(in_dim=80, channels=CHANNELS, flavour="wespeaker").eval()
with torch.no_grad():  # BN statistics as after training, so that every BN layer does something
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm1d):
            module.running_mean.normal_(0, 0.1)
            module.running_var.uniform_(0.5, 2.0)
x = torch.randn(BATCH, 80, FRAMES)  # a batch of fbank frames, (B, F, T)


def show(name, tensor):
    print(f"{name:44s} {tuple(tensor.shape)}")


show("input fbank x", x)

# %% [markdown]
# ## 1. Layer 1: a TDNN layer on the fbank
#
# A Conv1d with kernel 5 maps the 80 mel bins to $C$ channels (context $[t-2, t+2]$), then ReLU and
# BatchNorm, as in every TDNN layer here:
#
# $$h_t = \mathrm{BN}\Big(\mathrm{ReLU}\big(\textstyle\sum_{j=-2}^{2} W_j\, x_{t+j} + b\big)\Big),
# \qquad \mathrm{BN}(z) = \gamma \odot \frac{z - \hat\mu}{\sqrt{\hat\sigma^2 + \epsilon}} + \beta .$$

# %%
def conv_relu_bn(h, layer, mask=None):
    """Conv1d → ReLU → BN with ``layer``'s weights, written out ("same" zero padding)."""
    conv, bn = layer.conv, layer.bn
    dilation, kernel = conv.dilation[0], conv.kernel_size[0]
    z = F.conv1d(h, conv.weight, conv.bias, padding=dilation * (kernel - 1) // 2, dilation=dilation)
    z = torch.relu(z)
    if isinstance(bn, torch.nn.Identity):
        return z
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)  # γ / sqrt(σ̂² + ε)
    return (z - bn.running_mean[:, None]) * scale[:, None] + bn.bias[:, None]


with torch.no_grad():
    h1 = conv_relu_bn(x, model.layer1)
    show("layer1: Conv1d(80→C, k=5) → ReLU → BN", h1)
    derive(h1, model.layer1(x), name="layer1")

# %% [markdown]
# ## 2. The SE-Res2Block
#
# Each of the three blocks is a 1×1 TDNN layer, a Res2 dilated convolution, another 1×1 TDNN layer,
# an SE gate, and a residual connection. The **Res2** part cuts the $C$ channels into $S=8$ splits
# (the *scale*) $x_1,\dots,x_8$ of $C/8$ channels; seven go through a $k=3$ dilated ConvReluBN $K_i$,
# each after adding the previous one's output, and one split passes through unchanged (the last in
# WeSpeaker, the first in SpeechBrain):
#
# $$y_1 = K_1(x_1), \qquad y_i = K_i(x_i + y_{i-1}) \ \ (i = 2..7), \qquad y_8 = x_8 .$$
#
# Output $y_i$ ($i \le 7$) has been through $i$ convolutions and the pass-through split through none,
# so one block mixes receptive fields of 1 frame (the pass-through) and $1+2d$ up to $1+14d$ frames.
# The **SE** gate squeezes time to one vector and excites the channels ($\mathrm{sigmoid}(a) = 1/(1+e^{-a})$):
#
# $$z = \frac1T\sum_t h_t, \qquad g = \mathrm{sigmoid}\big(W_2\,\mathrm{ReLU}(W_1 z + b_1) + b_2\big) \in (0,1)^C,
# \qquad \tilde h_t = g \odot h_t .$$

# %%
def se_res2_block(h, block, use_se=True, verbose=False):
    """One SE-Res2Block with ``block``'s weights, written out. ``use_se=False`` skips the gate."""
    say = show if verbose else (lambda *_: None)
    u = conv_relu_bn(h, block.tdnn1)
    say("  tdnn1: Conv1d(C→C, k=1) → ReLU → BN", u)
    res2 = block.res2
    splits = list(u.chunk(res2.scale, dim=1))
    say(f"  split into {res2.scale}, each", splits[0])
    kept = splits.pop(0 if res2.passthrough == "first" else -1)
    outputs = []
    for i, (conv, x_i) in enumerate(zip(res2.convs, splits, strict=True)):
        outputs.append(conv_relu_bn(x_i if i == 0 else x_i + outputs[-1], conv))
    outputs = [kept] + outputs if res2.passthrough == "first" else outputs + [kept]
    v = torch.cat(outputs, dim=1)
    say(f"  Res2: 7 × Conv1d(k=3, d={res2.convs[0].conv.dilation[0]}), concat", v)
    w = conv_relu_bn(v, block.tdnn2)
    say("  tdnn2: Conv1d(C→C, k=1) → ReLU → BN", w)
    if use_se:
        z = w.mean(dim=-1)  # squeeze
        g = torch.sigmoid(block.se.linear2(torch.relu(block.se.linear1(z))))  # excite
        say("  SE gate g", g)
        w = w * g[:, :, None]
    return w + h  # residual


with torch.no_grad():
    print("block1 (dilation 2):")
    h2 = se_res2_block(h1, model.blocks[0], verbose=True)
    show("block1 output = SE(…) + input", h2)
    derive(h2, model.blocks[0](h1), name="SE-Res2Block 1")

# %% [markdown]
# Blocks 2 and 3 are the same with dilations 3 and 4:

# %%
with torch.no_grad():
    h3 = se_res2_block(h2, model.blocks[1])
    show("block2 (dilation 3)", h3)
    h4 = se_res2_block(h3, model.blocks[2])
    show("block3 (dilation 4)", h4)
    derive(h4, model.blocks[2](model.blocks[1](h2)), name="SE-Res2Blocks 2 and 3")

# %% [markdown]
# ## 3. Multi-layer feature aggregation (MFA)
#
# Instead of pooling only the last block, ECAPA concatenates the three blocks' outputs and mixes
# them with a 1×1 convolution (WeSpeaker: → ReLU; SpeechBrain: → ReLU → BN). With $h^{(1)}$ the output
# of layer 1 and $h^{(b+1)}$ that of block $b$ (the code's `h1` … `h4`), and $C_\text{mfa}$ output
# channels (1536 = 3C here):
#
# $$H = \mathrm{ReLU}\big(W_{\text{mfa}}\,[h^{(2)}; h^{(3)}; h^{(4)}] + b\big) \in \mathbb{R}^{C_\text{mfa} \times T}.$$

# %%
with torch.no_grad():
    cat = torch.cat([h2, h3, h4], dim=1)
    show("concat of the three blocks", cat)
    H = conv_relu_bn(cat, model.mfa)
    show("MFA: Conv1d(3C→1536, k=1) → ReLU", H)
    derive(H, model.frame_features(x)[0], name="frame features (what the pooling receives)")

# %% [markdown]
# ## 4. Attentive statistics pooling with global context
#
# Each frame is extended with the utterance's mean and standard deviation, $\tilde h_t = [h_t; \mu; \sigma]$
# (from here on $\sigma$ is a standard deviation, floored at $\sqrt{10^{-5}}$ like every one in the course),
# and a small network scores every channel of every frame; a softmax over time turns the scores into
# weights $\alpha_{t,c}$ (one distribution over time per channel), which give a weighted mean and
# standard deviation:
#
# $$e_{t} = W_2 \tanh(W_1 \tilde h_t + b_1) + b_2, \qquad \alpha_{t,c} = \frac{e^{e_{t,c}}}{\sum_\tau e^{e_{\tau,c}}},$$
#
# $$\tilde\mu_c = \sum_t \alpha_{t,c} h_{t,c}, \qquad
# \tilde\sigma_c = \sqrt{\sum_t \alpha_{t,c} (h_{t,c}-\tilde\mu_c)^2}.$$

# %%
pool = model.pooling
with torch.no_grad():
    mu, sigma = H.mean(-1), H.var(-1, unbiased=False).clamp(min=1e-5).sqrt()
    context = torch.cat([H, mu[..., None].expand_as(H), sigma[..., None].expand_as(H)], dim=1)
    show("global context [h_t; μ; σ]", context)
    e = pool.linear2(torch.tanh(pool.linear1(context)))
    show("scores e = W2 tanh(W1 h̃ + b1) + b2", e)
    alpha = torch.softmax(e, dim=-1)
    mu_w = (alpha * H).sum(-1)
    sigma_w = (alpha * (H - mu_w[..., None]) ** 2).sum(-1).clamp(min=1e-5).sqrt()
    pooled = torch.cat([mu_w, sigma_w], dim=1)
    show("ASTP [μ̃; σ̃]", pooled)
    derive(pooled, pool(H), name="attentive statistics pooling")

# %% [markdown]
# ## 5. The embedding
#
# BatchNorm over the $2 \cdot 1536$ statistics, then a linear layer to 192 dimensions: the speaker
# embedding, compared by cosine similarity.

# %%
with torch.no_grad():
    bn = model.pool_norm
    normed = (pooled - bn.running_mean) * (bn.weight / torch.sqrt(bn.running_var + bn.eps)) + bn.bias
    embedding = model.embedding(normed)
    show("BN → Linear(3072→192): the embedding", embedding)
    derive(embedding, model(x), name="ECAPA-TDNN embedding")

# %% [markdown]
# ## 6. How far does one frame see?
#
# Layer 1 sees 5 frames. In block $b$ with dilation $d_b$, the deepest Res2 split has been through 7
# convolutions of kernel 3, adding $7 \cdot 2 d_b$ frames: the receptive field of the convolutional
# path is $5 + 14\,(2+3+4) = 131$ frames (1.3 s). We measure it with autograd on the hand-built layers,
# with the SE gates switched off: the gates (and ASTP's global context) depend on the mean over the
# *whole* utterance, so with them on, every output frame depends on every input frame.

# %%
stages = ["layer1", "block1", "block2", "block3"]
counted = [5, 5 + 14 * 2, 5 + 14 * (2 + 3), 5 + 14 * (2 + 3 + 4)]


def upto(depth, use_se=False):
    def fn(inp):
        h = conv_relu_bn(inp, model.layer1)
        for block in model.blocks[:depth]:
            h = se_res2_block(h, block, use_se=use_se)
        return h
    return fn


measured = [measured_receptive_field(upto(depth), 80, frames=181) for depth in range(4)]
with_se = measured_receptive_field(upto(1, use_se=True), 80, frames=181)
print("counted:", counted, " measured:", measured, f" block1 with SE: {with_se} of 181 frames")
assert measured == counted and with_se == 181
fig = plot_receptive_field(stages, counted, measured, title="ECAPA-TDNN: receptive field of the convolutions")
plt.show()

# %% [markdown]
# ## 7. Where the parameters are, and the 3,328 between WeSpeaker and SpeechBrain
#
# The two reference implementations differ in several ways: which Res2 split passes through (the
# last in WeSpeaker, the first in SpeechBrain), the padding of the convolutions (zeros or reflect),
# and the attention, which SpeechBrain computes as $W_2\tanh(\mathrm{BN}(\mathrm{ReLU}(W_1\tilde h_t + b_1))) + b_2$.
# Only their *parameter* difference is exactly two BatchNorms that SpeechBrain adds: one after the MFA
# (2 × 1536 parameters, γ and β) and one inside the attention, between $W_1$ and tanh (2 × 128). BN's
# running statistics are buffers, not parameters.

# %%
def parameters_per_layer(m):
    groups = {"layer1": m.layer1, "block1": m.blocks[0], "block2": m.blocks[1], "block3": m.blocks[2],
              "MFA": m.mfa, "attention (ASTP)": m.pooling, "BN (pooled)": m.pool_norm, "embedding": m.embedding}
    return {name: sum(p.numel() for p in module.parameters()) for name, module in groups.items()}


table = {flavour: parameters_per_layer(ECAPA_TDNN(channels=CHANNELS, flavour=flavour))
         for flavour in ("wespeaker", "speechbrain")}
print(f"{'layer':18s} {'WeSpeaker':>10s} {'SpeechBrain':>12s} {'difference':>11s}")
for layer in table["wespeaker"]:
    we, sb = table["wespeaker"][layer], table["speechbrain"][layer]
    print(f"{layer:18s} {we:10,d} {sb:12,d} {sb - we:11,d}")
totals = {flavour: sum(counts.values()) for flavour, counts in table.items()}
print(f"{'total':18s} {totals['wespeaker']:10,d} {totals['speechbrain']:12,d} "
      f"{totals['speechbrain'] - totals['wespeaker']:11,d}")
if CHANNELS == 512:
    assert totals == {"wespeaker": 6_190_720, "speechbrain": 6_194_048}
difference = {k: table["speechbrain"][k] - table["wespeaker"][k] for k in table["wespeaker"]}
assert {k: v for k, v in difference.items() if v} == {"MFA": 2 * 3 * CHANNELS, "attention (ASTP)": 2 * 128}
fig = plot_parameter_bars(table, title=f"ECAPA-TDNN (C={CHANNELS}): parameters per layer")
plt.show()

# %% [markdown]
# The attention's first layer is large because of the global context (its input is $3 C_\text{mfa}$
# wide); without it (`pooling_kwargs={"global_context": False}`) the model is smaller by exactly
# $2 C_\text{mfa} \cdot 128$. And the single largest layer:

# %%
we = ECAPA_TDNN(channels=CHANNELS, flavour="wespeaker")
no_context = ECAPA_TDNN(channels=CHANNELS, flavour="wespeaker", pooling_kwargs={"global_context": False})
first_attention = sum(p.numel() for p in we.pooling.linear1.parameters())
without_context = sum(p.numel() for p in no_context.parameters())
layers = {name: sum(p.numel() for p in module.parameters(recurse=False))
          for name, module in we.named_modules() if any(True for _ in module.parameters(recurse=False))}
largest = max(layers, key=layers.get)
print(f"attention's first layer W1: {first_attention:,} parameters; without global context the model has "
      f"{without_context:,} (instead of {totals['wespeaker']:,})")
print(f"largest single layer: {largest}, {layers[largest]:,} parameters")
assert first_attention == 3 * we.mfa_channels * 128 + 128
assert totals["wespeaker"] - without_context == 2 * we.mfa_channels * 128
assert largest.startswith("mfa.")

# %% [markdown]
#
# ## 8. Inside a trained model: SE gates and attention
#
# Random weights tell nothing about what the layers learn. `course.train.course_model()` is the
# course model of notebook 10: a small ECAPA trained on augmented SynthVox speakers for a few
# minutes (seconds in smoke mode) and cached, so whichever notebook runs first trains it once.
# It is not the $C = 512$ network derived above: its configuration (printed below) is a
# narrow SpeechBrain-flavour model, with a smaller Res2 scale and SE bottleneck and the attention's
# ReLU → BN before tanh, because that trains fastest on a CPU.

# %%
from course.audio import read
from course.data import default_corpus
from course.data.corpus import test_utterances
from course.features import fbank
from course.metrics import format_eer
from course.train import course_model

result = course_model("ASTP")
print("course model:", result.config.model_kwargs)
trained = result.model.cpu().eval()
print(f"trained {len(result.losses)} steps, loss {result.losses[0]:.2f} → {result.losses[-1]:.2f}")
print(f"the course model on the SynthVox test trials: {format_eer(result.test)}")

wave, sample_rate = read(test_utterances(default_corpus())[0])
feats = fbank(wave, sample_rate)[None]  # (1, 80, T)

gates = []
hooks = [block.se.register_forward_hook(lambda module, args, out: gates.append(module.gate(*args)[0]))
         for block in trained.blocks]
with torch.no_grad():
    frames, _ = trained.frame_features(feats)
    _, weights = trained.pooling(frames, return_weights=True)
for hook in hooks:
    hook.remove()
weights = weights[0]  # (C_mfa, T): one distribution over time per channel
print("SE gates per block:", [tuple(g.shape) for g in gates], " attention:", tuple(weights.shape))
print("spread of the gates (standard deviation over channels):", [round(g.std().item(), 3) for g in gates])
fig = plot_se_gates([g.numpy() for g in gates], ["block1", "block2", "block3"],
                    title="SE gates of one test utterance (trained model)")
plt.show()

# %% [markdown]
# After a short training the gates sit near $\mathrm{sigmoid}(0) = 0.5$ and spread only a little (the printed
# standard deviations): the excitation weights start small and move slowly. Train longer (the `steps`
# of `small_config`) and compare the spread.

# %% [markdown]
# The attention weights: the entropy $-\sum_t \alpha_{t,c}\log\alpha_{t,c}$ of a channel's weights is
# $\log T$ when they are uniform (plain statistics pooling) and smaller the more the channel focuses.

# %%
T = weights.shape[-1]
entropy = -(weights * weights.clamp(min=1e-30).log()).sum(-1)  # (C_mfa,)
focused = int(entropy.argmin())
print(f"T = {T} frames, log T = {math.log(T):.3f} nats; mean entropy {entropy.mean():.3f} nats, "
      f"most focused channel {focused}: {entropy[focused]:.3f} nats")
if not is_smoke():  # a few training steps in smoke mode are not enough to move the attention
    assert entropy.mean() <= math.log(T) - 0.1, "the trained attention should be visibly non-uniform"
fig = plot_attention_timeline(wave.numpy(), sample_rate, feats[0].numpy(), weights.numpy(), row=focused,
                              title="ASTP attention of the trained model", row_label=f"channel {focused}")
plt.show()

# %% [markdown]
# ## 9. Padded batches: SpeechBrain's ECAPA and this one
#
# `course.models.speechbrain_weights` maps SpeechBrain's ECAPA-TDNN weights into this implementation (the
# SpeechBrain flavour with its reflect padding), so both compute the same function: a Colab user can
# load SpeechBrain's published `embedding_model.ckpt` with `load_speechbrain_checkpoint`. One
# difference remains by design. SpeechBrain reflects the *padded* batch at its end, so a short
# utterance in a batch is convolved with padding frames instead of its own reflection; this
# implementation reflects each utterance at its own last frame and masks the SE means and the pooling,
# so a padded batch gives every utterance exactly its embedding alone. (SpeechBrain is a development
# requirement of the course, installed by `requirements.txt` and on Colab; the cell says so and skips
# itself where it is missing.)

# %%
import importlib.util

if importlib.util.find_spec("speechbrain") is None:
    print("speechbrain is not installed: `pip install speechbrain` to run this comparison")
else:
    from speechbrain.lobes.models.ECAPA_TDNN import ECAPA_TDNN as SpeechBrainECAPA

    from course.models.speechbrain_weights import ecapa_from_speechbrain

    torch.manual_seed(SEED)
    width = pick(CHANNELS, 64)  # a narrower model in smoke mode: same code paths, less arithmetic
    sb = SpeechBrainECAPA(80, channels=[width] * 4 + [3 * width], lin_neurons=192).eval()
    ours = ecapa_from_speechbrain(sb).eval()
    lengths = torch.tensor([FRAMES, FRAMES * 3 // 4, FRAMES // 2])
    batch = torch.randn(3, 80, FRAMES)
    for b, n in enumerate(lengths.tolist()):
        batch[b, :, n:] = 0.0  # zero padding, as a collate function writes it
    with torch.no_grad():
        sb_alone = torch.cat([sb(batch[b:b + 1, :, :n].transpose(1, 2))[:, 0] for b, n in enumerate(lengths.tolist())])
        sb_batched = sb(batch.transpose(1, 2), lengths.float() / FRAMES)[:, 0]
        ours_alone = torch.cat([ours(batch[b:b + 1, :, :n]) for b, n in enumerate(lengths.tolist())])
        ours_batched = ours(batch, lengths)
    print(f"utterances alone, ours vs SpeechBrain:      max |difference| {(ours_alone - sb_alone).abs().max():.1e}")
    print(f"SpeechBrain, padded batch vs alone:         max |difference| {(sb_batched - sb_alone).abs().max():.1e}")
    print(f"this implementation, padded batch vs alone: max |difference| {(ours_batched - ours_alone).abs().max():.1e}")
    torch.testing.assert_close(ours_alone, sb_alone, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(ours_batched, ours_alone, rtol=1e-5, atol=1e-5)

# %% [markdown]
# ## Exercises
#
# **Exercise 1.** Write the Res2 convolution `res2(x, convs, passthrough)`: split `x` into
# `len(convs) + 1` chunks, keep the `"first"` or `"last"` one unchanged, and apply
# $y_1 = K_1(x_1)$, $y_i = K_i(x_i + y_{i-1})$ to the others (each `conv` is a module: call `conv(h)`).

# %%
def res2(x, convs, passthrough):
    # your code here
    return None


check_res2(res2)

# %% tags=["solution"] jupyter={"source_hidden": true}
def res2(x, convs, passthrough):
    splits = list(x.chunk(len(convs) + 1, dim=1))
    kept = splits.pop(0 if passthrough == "first" else -1)
    outputs = []
    for i, (conv, x_i) in enumerate(zip(convs, splits, strict=True)):
        outputs.append(conv(x_i if i == 0 else x_i + outputs[-1]))
    return torch.cat([kept] + outputs if passthrough == "first" else outputs + [kept], dim=1)


assert check_res2(res2)

# %% [markdown]
# **Exercise 2.** The SE gate of a padded batch: `se_gate(x, lengths, linear1, linear2)` returns
# $s = \sigma(W_2\,\mathrm{ReLU}(W_1 z + b_1) + b_2)$ with $z$ the mean over each utterance's *valid*
# frames only (SpeechBrain and WeSpeaker average the padding too when given none).

# %%
def se_gate(x, lengths, linear1, linear2):
    # your code here
    z = x.mean(dim=-1)  # not yet: averages the padding
    return torch.sigmoid(linear2(torch.relu(linear1(z))))


check_se_gate(se_gate)

# %% tags=["solution"] jupyter={"source_hidden": true}
def se_gate(x, lengths, linear1, linear2):
    mask = (torch.arange(x.shape[-1])[None, :] < lengths[:, None]).unsqueeze(1).to(x.dtype)
    z = (x * mask).sum(-1) / mask.sum(-1)
    return torch.sigmoid(linear2(torch.relu(linear1(z))))


assert check_se_gate(se_gate)

# %% [markdown]
# **Exercise 3.** Count ECAPA-TDNN's parameters with a closed formula,
# `ecapa_param_count(channels, mfa_channels, embed_dim, flavour)` (80 input bins, scale 8, kernel 3,
# SE and attention bottleneck 128, global context). Conv and Linear layers have a bias; a BatchNorm
# has 2 parameters per channel. The check counts the library's model.

# %%
def ecapa_param_count(channels, mfa_channels, embed_dim, flavour):
    # your code here
    return 0


check_ecapa_param_count(ecapa_param_count)

# %% tags=["solution"] jupyter={"source_hidden": true}
def ecapa_param_count(channels, mfa_channels, embed_dim, flavour):
    def conv_relu_bn_params(c_in, c_out, kernel):
        return c_in * c_out * kernel + c_out + 2 * c_out  # weight, bias, BN γ and β

    width = channels // 8
    block = (2 * conv_relu_bn_params(channels, channels, 1) + 7 * conv_relu_bn_params(width, width, 3)
             + (channels * 128 + 128) + (128 * channels + channels))  # tdnn1, tdnn2, Res2, SE
    speechbrain = flavour == "speechbrain"
    mfa = 3 * channels * mfa_channels + mfa_channels + (2 * mfa_channels if speechbrain else 0)
    attention = (3 * mfa_channels * 128 + 128) + (128 * mfa_channels + mfa_channels) + (2 * 128 if speechbrain else 0)
    head = 2 * (2 * mfa_channels) + (2 * mfa_channels * embed_dim + embed_dim)  # BN, Linear
    return conv_relu_bn_params(80, channels, 5) + 3 * block + mfa + attention + head


assert check_ecapa_param_count(ecapa_param_count)
print(f"C=512: WeSpeaker {ecapa_param_count(512, 1536, 192, 'wespeaker'):,}, "
      f"SpeechBrain {ecapa_param_count(512, 1536, 192, 'speechbrain'):,}")
