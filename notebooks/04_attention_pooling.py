# %% [markdown]
# # 04 · Attention pooling: from statistics to multi-query multi-head attention
#
# A speaker network turns an utterance into frames $h_1,\dots,h_T \in \mathbb{R}^D$ and must reduce
# them to one vector, whatever $T$ is. The x-vector takes the mean and the standard deviation over
# time: every frame counts the same. Attention pooling lets a small network decide how much each
# frame (or each channel of each frame) should count. This notebook derives nine poolings —
# TAP, TSDP, TSTP (2018), ASP (2018), ASTP (2020), SAP (2018), MHA (2019), MR-MHA (2020) and
# MQMHASTP (2022) — roughly in order of publication, except that ECAPA's ASTP comes right after
# the ASP it extends. Each is written as the formula (loops and einsums over one utterance),
# asserted equal to the batched, masked module of `course.pooling` (the build stops if they
# differ), and costed at ECAPA's $D = 1536$. The formulas are the equation-literal twins in
# `course.pooling.reference` (their source is printed where they first appear), and a few are
# written here by hand in matrix form. It ends
# with an explorer that shows, for small models trained on SynthVox, where in an utterance each
# attention looks.

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

D = 12  # channels of the small random frames used to check each formula
FRAMES = 30  # frames of those examples
ECAPA_D = 1536  # ECAPA's MFA output: where output sizes and parameter counts are reported
EXPLORE = ["ASTP"]  # poolings trained up front for the explorer (the others train when chosen)
UTTERANCES = pick(12, 4)  # test utterances in the explorer and the entropy summary
MIN_GAP_NATS = 0.1  # default mode: trained attention's entropy must be this far below log T (uniform)
SEED = 0

# %%
import inspect

import matplotlib.pyplot as plt
import numpy as np
import torch

from course import pooling
from course.checks import derive
from course.checks.statistics_attention import (
    check_mqmhastp_output_size,
    check_mqmhastp_parameters,
    check_tstp_with_lengths,
)
from course.pooling.reference import attention as ref_attention
from course.pooling.reference.attention import attentive_mean_std
from course.pooling.reference.common import softmax
from course.pooling.reference.statistics import tap, tsdp, tstp

torch.manual_seed(SEED)
# A padded batch: three utterances of 30, 17 and 6 valid frames; the padding holds garbage.
x = torch.randn(3, D, FRAMES)
lengths = torch.tensor([30, 17, 6])
for i, n in enumerate(lengths.tolist()):
    x[i, :, n:] = 50.0


def show(formula):
    """Print the source of an equation-literal formula from course.pooling.reference."""
    print(inspect.getsource(formula))


def per_utterance(formula, **symbols):
    """Apply a one-utterance formula h (D, T_i) → vector to every valid part of the batch."""
    return torch.stack([formula(x[i, :, :n], **symbols) for i, n in enumerate(lengths.tolist())])


summary = {}  # method → (output size, parameters) at D = 1536


def cost(name, label=None, **kwargs):
    """Output size and parameter count of a pooling at ECAPA's D = 1536."""
    pool = pooling.build(name, ECAPA_D, **kwargs)
    size, params = pool.out_dim, sum(p.numel() for p in pool.parameters())
    summary[label or name] = (size, params)
    print(f"{label or name}: output size {size:,}, parameters {params:,} at D = {ECAPA_D}")
    return size, params


# %% [markdown]
# Every pooling below is built by name, `pooling.build(name, D, **options)`, and called as
# `pool(frames, lengths)` on frames `(B, D, T)`; padded frames never count. The formulas
# work on one utterance `h` of shape `(D, T)` and are compared on every utterance
# of the padded batch.
#
# ## 1. Statistics pooling: TAP, TSDP, TSTP
#
# *Snyder et al., "X-vectors: robust DNN embeddings for speaker recognition", ICASSP 2018.*
# Temporal average pooling (TAP), temporal standard-deviation pooling (TSDP) and their
# concatenation, temporal statistics pooling (TSTP, the x-vector's):
#
# $$\mu = \frac1T\sum_{t=1}^T h_t,\qquad
# \sigma = \sqrt{\frac1T\sum_{t=1}^T (h_t-\mu)\odot(h_t-\mu)},\qquad
# \text{TSTP} = [\mu;\sigma] \in \mathbb{R}^{2D}.$$
#
# The variance divides by $T$, not $T-1$: the unbiased estimate is undefined for a one-frame
# utterance. The library takes $\sqrt{\max(\mathrm{var}, \epsilon)}$ with $\epsilon = 10^{-5}$,
# because $\frac{d}{dv}\sqrt{v} = \frac{1}{2\sqrt v}$ is infinite at $v = 0$ (constant input).

# %%
for formula in (tap, tsdp, tstp):  # from course.pooling.reference.statistics, eps = 1e-5
    show(formula)
for name, formula in [("TAP", tap), ("TSDP", tsdp), ("TSTP", tstp)]:
    derive(per_utterance(formula), pooling.build(name, D)(x, lengths), name=name)
    cost(name)

# %% [markdown]
# **Adds:** nothing to learn, $O(DT)$ time, and the second-order statistic $\sigma$ that makes the
# x-vector better than a mean. **Costs:** every frame weighs the same — silence, noise and the
# most speaker-specific vowel alike.
#
# ## 2. ASP: one learned weight per frame
#
# *Okabe et al., "Attentive Statistics Pooling for Deep Speaker Embedding", 2018.* A small network
# scores each frame; a softmax over time turns the scores into weights that replace $1/T$:
#
# $$e_t = v^\top f(W h_t + b) + k,\qquad \alpha_t = \frac{\exp(e_t)}{\sum_\tau \exp(e_\tau)},$$
# $$\tilde\mu = \sum_t \alpha_t h_t,\qquad
# \tilde\sigma = \sqrt{\sum_t \alpha_t\, h_t\odot h_t - \tilde\mu\odot\tilde\mu}.$$
#
# $W \in \mathbb{R}^{d_a\times D}$, $b, v \in \mathbb{R}^{d_a}$, $k \in \mathbb{R}$, $f$ = tanh (or ReLU).
# The variance is $E_\alpha[h^2] - \tilde\mu^2$, which is $\sum_t \alpha_t (h_t - \tilde\mu)^2$: the
# library computes the second form, which cannot go negative through rounding.

# %%
for formula in (softmax, attentive_mean_std, ref_attention.asp):
    show(formula)
asp_pool = pooling.build("ASP", D)
symbols = {"W": asp_pool.linear1.weight[:, :, 0], "b": asp_pool.linear1.bias,
           "v": asp_pool.linear2.weight[0, :, 0], "k": asp_pool.linear2.bias[0]}
with torch.no_grad():
    derive(per_utterance(ref_attention.asp, **symbols), asp_pool(x, lengths), name="ASP")
_, asp_params = cost("ASP")
d_a = 128  # the library's default bottleneck
assert asp_params == d_a * (ECAPA_D + 2) + 1, "ASP's parameters are W (d_a × D), b, v (d_a each) and k"
print(f"d_a(D + 2) + 1 = {d_a}·{ECAPA_D + 2} + 1 = {d_a * (ECAPA_D + 2) + 1:,}")

# %% [markdown]
# If the scores are equal, $\alpha_t = 1/T$ and ASP *is* TSTP: attention generalises statistics
# pooling. Setting $v = 0, k = 0$ shows it:

# %%
with torch.no_grad():
    asp_pool.linear2.weight.zero_()
    asp_pool.linear2.bias.zero_()
derive(asp_pool(x, lengths), pooling.build("TSTP", D)(x, lengths), name="ASP with v = 0 (uniform weights)")

# %% [markdown]
# **Adds:** frame selection, for $d_a(D+2)+1$ parameters (printed above for $D = 1536$, $d_a = 128$)
# and one $d_a\times D$ product per frame. **Costs:** one weight per frame for *all* channels: a frame
# cannot be useful for some channels and useless for others.
#
# ## 3. ASTP: channel-wise weights and global context (ECAPA-TDNN)
#
# *Desplanques, Thienpondt, Demuynck, "ECAPA-TDNN: Emphasized Channel Attention, Propagation and
# Aggregation in TDNN Based Speaker Verification", Interspeech 2020.* Give every channel $c$ its own
# score row $v_c, k_c$, and let the scorer see the utterance's mean and std next to each frame:
#
# $$\tilde h_t = [h_t;\ \mu;\ \sigma],\qquad e_{t,c} = v_c^\top \tanh(W\tilde h_t + b) + k_c,\qquad
# \alpha_{t,c} = \operatorname{softmax}_t(e_{t,c}),$$
#
# and the weighted statistics per channel, $\tilde\mu_c = \sum_t \alpha_{t,c} h_{t,c}$. With
# $V = [v_1 \dots v_D]^\top \in \mathbb{R}^{D\times 128}$, $W \in \mathbb{R}^{128\times 3D}$, the scorer is two
# 1×1 convolutions, $3D\to 128\to D$. The $\mu, \sigma$ of the context are the plain mean and the
# *biased* standard deviation with the course's floor, $\sqrt{\max(\mathrm{var}, 10^{-5})}$. WeSpeaker
# computes them with the *unbiased* `torch.var` and $\sqrt{\mathrm{var} + 10^{-10}}$: the same idea, but
# not the same numbers (a factor $\sqrt{T/(T-1)}$ on $\sigma$), which matters when loading its weights.

# %%
show(ref_attention.astp)
for context in (True, False):
    astp_pool = pooling.build("ASTP", D, global_context=context)
    with torch.no_grad():
        derive(per_utterance(ref_attention.astp, **astp_pool.equation_parameters()), astp_pool(x, lengths),
              name=f"ASTP, global context {context}")
_, astp_params = cost("ASTP")
_, astp_plain_params = cost("ASTP", "ASTP, no context", global_context=False)
weights_only = 3 * ECAPA_D * 128 + 128 * ECAPA_D
print(f"3D·128 + 128·D = {weights_only:,} weights, + 128 + D = {128 + ECAPA_D:,} biases = {astp_params:,}")
assert astp_params == weights_only + 128 + ECAPA_D
print(f"ASTP / ASP = {astp_params / asp_params:.2f}; the context's share (2D·128 weights) = "
      f"{2 * ECAPA_D * 128 / astp_params:.1%}")
assert astp_params - astp_plain_params == 2 * ECAPA_D * 128

# %% [markdown]
# **Adds:** channel-wise selection ($D\times T$ weights) and context: the same frame scores
# differently in a loud and in a quiet utterance. **Costs:** $3D\cdot 128 + 128\cdot D$ weights plus
# $128 + D$ biases (printed above: about four times ASP, half of it for the context), and two extra
# passes over the frames for $\mu,\sigma$.
#
# **SpeechBrain's flavour** (`attention_norm=True`) inserts a ReLU and a BatchNorm before the tanh,
#
# $$e_{t,c} = v_c^\top \tanh\!\big(\mathrm{BN}(\mathrm{ReLU}(W\tilde h_t + b))\big) + k_c,\qquad
# \mathrm{BN}(z) = \gamma\odot\frac{z - m}{\sqrt{s + \epsilon_{BN}}} + \beta ,$$
#
# with the running mean $m$ and variance $s$ in evaluation mode. The small ECAPA-TDNNs trained for
# the explorer at the end use this flavour, so we assert it too (with running statistics that are
# not the trivial 0 and 1):

# %%
def astp_speechbrain(h, W, b, V, k, gamma, beta, m, s, eps_bn):
    T = h.shape[1]
    mu, sigma = tap(h), tsdp(h)
    e = []
    for t in range(T):
        z = torch.relu(W @ torch.cat([h[:, t], mu, sigma]) + b)
        e.append(V @ torch.tanh(gamma * (z - m) / torch.sqrt(s + eps_bn) + beta) + k)
    return torch.cat(attentive_mean_std(h, softmax(torch.stack(e, dim=1))))


def speechbrain_symbols(pool):
    norm = pool.norm[1]  # ReLU, then this BatchNorm1d
    return {"W": pool.linear1.weight[:, :, 0], "b": pool.linear1.bias, "V": pool.linear2.weight[:, :, 0],
            "k": pool.linear2.bias, "gamma": norm.weight, "beta": norm.bias, "m": norm.running_mean,
            "s": norm.running_var, "eps_bn": norm.eps}


astp_sb = pooling.build("ASTP", D, attention_norm=True).eval()
with torch.no_grad():
    norm = astp_sb.norm[1]
    norm.running_mean.uniform_(0.0, 0.5)
    norm.running_var.uniform_(0.5, 2.0)
    norm.weight.uniform_(0.5, 1.5)
    norm.bias.uniform_(-0.5, 0.5)
    derive(per_utterance(astp_speechbrain, **speechbrain_symbols(astp_sb)), astp_sb(x, lengths),
           name="ASTP, SpeechBrain flavour (ReLU → BN → tanh), evaluation mode")

# %% [markdown]
# ## 4. SAP: several heads of weighted means
#
# *Zhu, Ko, Snyder, Mak, Povey, "Self-Attentive Speaker Embeddings for Text-Independent Speaker
# Verification", Interspeech 2018.* With the frames as the rows of $X\in\mathbb{R}^{T\times D}$ (the
# paper calls it $H$; here $H$ is kept for a number of heads):
#
# $$A = \operatorname{softmax}\big(g(XW_1)\,W_2\big) \in \mathbb{R}^{T\times r},\qquad
# E = A^\top X \in \mathbb{R}^{r\times D},\qquad W_1\in\mathbb{R}^{D\times d_a},\ W_2\in\mathbb{R}^{d_a\times r},$$
#
# the softmax running over the $T$ frames of each of the $r$ columns (heads), $g$ = ReLU. Each head is
# a weighted *mean*; the embedding is $E$ flattened, $rD$ values. The paper adds the penalty
# $P = \lVert A^\top A - I\rVert_F^2$ to the training loss so that the heads look at different frames
# (`SelfAttentivePooling.penalty` computes it; `course.train` does not add it to the loss, so the
# SAP models trained in this course are trained without it).

# %%
def sap_attention(h, W1, W2, g=torch.relu):
    X = h.T  # (T, D)
    return softmax((g(X @ W1) @ W2).T).T  # A: (T, r), softmax over T


def sap(h, W1, W2, g=torch.relu):
    return (sap_attention(h, W1, W2, g).T @ h.T).flatten()  # E = AᵀX, flattened


sap_pool = pooling.build("SAP", D, heads=4)
with torch.no_grad():
    derive(per_utterance(sap, **sap_pool.equation_parameters()), sap_pool(x, lengths), name="SAP")
    _, sap_weights = sap_pool(x, lengths, return_weights=True)  # (B, r, T) = Aᵀ per utterance
    penalties = []
    for i, n in enumerate(lengths.tolist()):
        A = sap_attention(x[i, :, :n], **sap_pool.equation_parameters())
        penalties.append(((A.T @ A - torch.eye(A.shape[1])) ** 2).sum())
    derive(torch.stack(penalties).mean(), sap_pool.penalty(sap_weights), name="SAP penalty ‖AᵀA − I‖²_F")
uniform = (torch.arange(FRAMES)[None, None] < lengths[:, None, None]).float().expand(-1, sap_pool.heads, -1)
uniform = uniform / uniform.sum(-1, keepdim=True)
print(f"penalty of the untrained heads: {sap_pool.penalty(sap_weights):.3f}; of uniform heads (statistics pooling): "
      f"{sap_pool.penalty(uniform):.3f}; 0 needs every head on its own single frame")
sap_size, _ = cost("SAP")

# %% [markdown]
# **Adds:** $r$ different views of the utterance, no bias terms, $D d_a + d_a r$ parameters.
# **Costs:** no standard deviation, and an embedding $r$ times wider than TAP ($rD$, printed above
# for $r = 4$), which the next linear layer pays for.
#
# ## 5. MHA: heads split over the channels
#
# *India, Safari, Hernando, "Self Multi-Head Attention for Speaker Recognition", 2019
# (arXiv:1906.09890).* Split each frame into $H$ slices $h_{j,t}\in\mathbb{R}^{d_h}$, $d_h = D/H$;
# head $j$ scores only its slice with a vector $u_j$:
#
# $$\alpha_{j,t} = \operatorname{softmax}_t\!\big(u_j^\top h_{j,t}\big),\qquad
# c_j = \sum_t \alpha_{j,t}\, h_{j,t},\qquad [c_1;\dots;c_H] \in \mathbb{R}^D .$$
#
# India et al. divide the scores by $\sqrt{d_h}$, as in the Transformer; we leave it out, which is a
# reparametrisation: $u_j^\top h/\sqrt{d_h} = (u_j/\sqrt{d_h})^\top h$, the same set of functions with
# a different initial scale and learning speed of $u_j$.

# %%
def mha(h, u):
    heads, d_h = u.shape
    out = []
    for j in range(heads):
        h_j = h[j * d_h:(j + 1) * d_h]
        alpha = softmax(torch.einsum("d,dt->t", u[j], h_j))
        out.append(torch.einsum("t,dt->d", alpha, h_j))
    return torch.cat(out)


mha_pool = pooling.build("MHA", D, heads=4)
with torch.no_grad():
    derive(per_utterance(mha, u=mha_pool.equation_parameters()["u"]), mha_pool(x, lengths), name="MHA")
cost("MHA")
mha_std = pooling.build("MHA", D, heads=4, with_std=True)
with torch.no_grad():  # the statistics variant, against the equation-literal twin in course.pooling.reference
    derive(per_utterance(ref_attention.mha, **mha_std.equation_parameters()), mha_std(x, lengths),
           name="MHA with std, [c_1; …; c_H; σ̃_1; …; σ̃_H]")
_ = cost("MHA", "MHA + std", with_std=True)

# %% [markdown]
# **Adds:** per-slice frame selection for only $D$ parameters (one score vector per head).
# **Costs:** a linear scorer without hidden layer, and (in the paper's form) no std: output $D$.
# `with_std=True` appends $\tilde\sigma$ (the statistics variant, $2D$).
#
# ## 6. MR-MHA: heads at different temperatures
#
# *Wang, Fang, Yao, Li, "Multi-Resolution Multi-Head Attention in Deep Speaker Embedding",
# ICASSP 2020.* The heads attend to the *whole* frame and each has a temperature $\tau_j$:
#
# $$e_{j,t} = v_j^\top\tanh(Wh_t + b) + k_j,\qquad
# \alpha_{j,t} = \operatorname{softmax}_t(e_{j,t}/\tau_j),\qquad
# [\tilde\mu_1;\tilde\sigma_1;\dots;\tilde\mu_H;\tilde\sigma_H]\in\mathbb{R}^{2DH}.$$
#
# For the *same* scores, a small $\tau$ sharpens the weights towards a few frames and a large one
# flattens them towards the mean: the idea is heads that look at the utterance at different
# "resolutions". Which layers the heads share is not stated in our sources; here $W, b$ are shared
# and $v_j, k_j, \tau_j$ are per head, with $\tau_j = 1, 2, 4, 8$ fixed (our choices).
#
# **But a fixed $\tau_j$ with a learnable $v_j, k_j$ is a reparametrisation:**
# $e_{j,t}/\tau_j = (v_j/\tau_j)^\top\tanh(Wh_t+b) + k_j/\tau_j$, so any head at temperature $\tau_j$
# equals a head at temperature 1 with $v_j/\tau_j, k_j/\tau_j$. The temperatures do not change what the
# heads can express; they change where training starts (a head at $\tau = 8$ starts with scores 8 times smaller)
# and how fast it moves (under plain SGD the effective $v_j/\tau_j$ moves $\tau_j^2$ times slower).

# %%
show(ref_attention.mr_mha)
mr_pool = pooling.build("MR-MHA", D)
with torch.no_grad():
    derive(per_utterance(ref_attention.mr_mha, **mr_pool.equation_parameters()), mr_pool(x, lengths), name="MR-MHA")
mr_size, _ = cost("MR-MHA")

# The reparametrisation: every head at τ = 1, with v_j and k_j divided by τ_j, gives the same output.
mr_unit = pooling.build("MR-MHA", D, temperatures=[1.0] * mr_pool.heads)
with torch.no_grad():
    tau = mr_pool.temperature.flatten()
    mr_unit.linear1.load_state_dict(mr_pool.linear1.state_dict())
    mr_unit.linear2.weight.copy_(mr_pool.linear2.weight / tau[:, None, None])
    mr_unit.linear2.bias.copy_(mr_pool.linear2.bias / tau)
    derive(mr_unit(x, lengths), mr_pool(x, lengths), name="MR-MHA(τ_j) = MR-MHA(τ = 1) with v_j/τ_j, k_j/τ_j")

with torch.no_grad():
    _, alpha = mr_pool(x, lengths, return_weights=True)
entropy = -(alpha * alpha.clamp_min(1e-30).log()).sum(-1)[0] / np.log(FRAMES)
print("untrained, utterance 0: entropy / log T of each head, τ = 1, 2, 4, 8:", np.round(entropy.numpy(), 4))
with torch.no_grad():  # the same scores of head 1 at each temperature: entropy rises with τ
    scores = mr_pool.linear2(torch.tanh(mr_pool.linear1(x[:1])))[0, 0]
same_scores = [float(-(p * p.log()).sum() / np.log(FRAMES)) for p in (softmax(scores / t) for t in tau)]
print("head 1's scores at τ = 1, 2, 4, 8:", np.round(same_scores, 4))
assert all(a <= b for a, b in zip(same_scores, same_scores[1:])), "entropy must grow with τ for fixed scores"

# %% [markdown]
# Untrained, every head is already close to uniform (entropy / log T near 1: the scores are small),
# and the larger $\tau$ heads are the flatter ones only because they divide similar scores by more;
# each head has its own $v_j$, so the first line does not have to be ordered, while the second (one
# head's scores at four temperatures) must be. What the heads do after training is up to training.
#
# **Adds:** $H$ heads over the whole frame that start at different sharpness, for a handful of extra
# parameters. **Costs:** an embedding $2H$ times $D$ (printed above for $H = 4$): the largest of this
# notebook, and the heaviest next layer.
#
# ## 7. MQMHASTP: multiple queries × multiple heads
#
# *Zhao, Ma, Ding, Zheng, Liu, Xu, "Multi-Query Multi-Head Attention Pooling and Inter-TopK Penalty
# for Speaker Verification", ICASSP 2022 (arXiv:2110.05042).* Split the channels into $H$ heads as in
# MHA, and repeat the whole attention for $Q$ queries, each with its own parameters. Each
# (query, head) scorer has one layer, $a_{q,j,t} = W_{q,j}h_{j,t} + b_{q,j}$, or two,
#
# $$a_{q,j,t} = W^{(2)}_{q,j}\tanh\!\big(W^{(1)}_{q,j} h_{j,t} + b^{(1)}_{q,j}\big) + b^{(2)}_{q,j}
# \in \mathbb{R}^{d_s},\qquad W^{(1)}_{q,j}\in\mathbb{R}^{d_k\times d_h},\ W^{(2)}_{q,j}\in\mathbb{R}^{d_s\times d_k}$$
#
# ($W_{q,j}\in\mathbb{R}^{d_s\times d_h}$ for one layer), softmax over $t$, and the attentive mean and std
# of each head, concatenated: $[\tilde\mu_{1,1};\tilde\sigma_{1,1};\tilde\mu_{1,2};\dots]$. With $d_s = 1$
# each head has one weight per frame (like ASP); with $d_s = d_h$ one per channel (like ASTP). How
# long the embedding is, and what it depends on, is Exercise 2.

# %%
show(ref_attention.mqmhastp)
for options in [dict(queries=2, heads=4), dict(queries=2, heads=4, layers=1), dict(queries=3, heads=2, d_s=D // 2),
                dict(queries=2, heads=4, layers=1, d_s=D // 4)]:
    mq_pool = pooling.build("MQMHASTP", D, **options)
    with torch.no_grad():
        derive(per_utterance(ref_attention.mqmhastp, **mq_pool.equation_parameters()), mq_pool(x, lengths),
              name=f"MQMHASTP {options}")
cost("MQMHASTP")

# %% [markdown]
# With $Q = H = 1$, two layers, $d_s = d_h = D$ and $d_k = 128$, MQMHASTP *is* ASTP without global
# context: copy ASTP's two convolutions into it and compare.

# %%
astp_plain = pooling.build("ASTP", D, global_context=False, bottleneck=128)
mq_one = pooling.build("MQMHASTP", D, queries=1, heads=1, layers=2, d_s=D, d_k=128)
mq_one.linear1.load_state_dict(astp_plain.linear1.state_dict())
mq_one.linear2.load_state_dict(astp_plain.linear2.state_dict())
derive(mq_one(x, lengths), astp_plain(x, lengths), name="MQMHASTP(Q=H=1, d_s=D) vs ASTP without context")

# %% [markdown]
# **Adds:** both kinds of diversity — heads over channel slices, queries over the whole —
# with small per-head scorers ($d_h \to d_k = 64 \to d_s$). **Costs:** an embedding that grows with
# the number of queries, and $Q$ copies of the frames during pooling.
#
# ## 8. Biases that do nothing
#
# A softmax over time cannot see a number added to every score of a row:
# $\operatorname{softmax}_t(e_t + k) = e^{k}e^{e_t}/(e^{k}\sum_\tau e^{e_\tau}) = \operatorname{softmax}_t(e_t)$.
# So every bias that is constant over $t$ in the *last* scoring layer is inert: $k$ in ASP, $k_c$ in
# ASTP, $k_j$ in MR-MHA, $b^{(2)}_{q,j}$ of the two-layer MQMHASTP and $b_{q,j}$ of the one-layer one. Their
# gradient is zero (up to rounding), whatever the data, and changing them changes nothing:

# %%
inert = [("ASP", asp_pool, "linear2"), ("ASTP", astp_pool, "linear2"), ("MR-MHA", mr_pool, "linear2"),
         ("MQMHASTP, 2 layers", pooling.build("MQMHASTP", D), "linear2"),
         ("MQMHASTP, 1 layer", pooling.build("MQMHASTP", D, layers=1), "linear1")]
for name, module, layer in inert:
    for parameter in module.parameters():
        parameter.grad = None
    out = module(x, lengths)
    (out * torch.randn_like(out)).sum().backward()  # any loss of the output
    bias, weight = getattr(module, layer).bias, getattr(module, layer).weight
    before = out.detach()
    with torch.no_grad():
        bias.add_(torch.randn_like(bias) * 3)  # move every bias far
        derive(module(x, lengths), before, name=f"{name}: output with the last biases moved", atol=1e-4)
    print(f"   largest |gradient| of those biases {bias.grad.abs().max():.1e}, of the weights beside them "
          f"{weight.grad.abs().max():.1e}")
    assert bias.grad.abs().max() < 1e-5 * weight.grad.abs().max().clamp(min=1.0)

# %% [markdown]
# The modules keep these biases anyway: the reference implementations hold them (WeSpeaker's and
# SpeechBrain's ASTP end in a 1×1 convolution with a bias), and keeping them makes our parameter counts
# equal to theirs and lets their weights load one to one. They are counted below and in Exercise 3,
# but they cost parameters without adding anything a model can learn. (The first-layer biases $b$ are
# not inert: they sit inside the non-linearity.)
#
# ## 9. What each method adds and costs, at $D = 1536$
#
# Output sizes and parameter counts from the modules above (default options; time and memory
# are measured by `python benchmarks/pooling.py`, as ratios to TSTP in the same run).

# %%
print(f"{'method':<17} {'output size':>12} {'parameters':>12}  weights of the next linear layer (→ 192)")
for name, (size, params) in summary.items():
    print(f"{name:<17} {size:>12,} {params:>12,}  {size * 192:>12,}")

names = list(summary)
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
left.barh(names, [summary[n][0] for n in names], color="C0")
left.set_xlabel("embedding size before the linear layer")
right.barh(names, [summary[n][1] for n in names], color="C1")
right.set_xscale("symlog", linthresh=1000)
right.set_xlabel("pooling parameters (symmetric log scale)")
left.invert_yaxis()
fig.suptitle(f"Poolings at D = {ECAPA_D}: what the embedding grows to, and what is learned")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 10. Where does trained attention look?
#
# The explorer below uses the course model of notebook 10, a small ECAPA-TDNN trained on augmented
# SynthVox, one per pooling (`course.train.course_model(NAME)`: cached by configuration and
# code, trained in a few minutes when absent). Choose an utterance, a pooling and a
# head / query / channel: the waveform, the fbank and the weights share one time axis, and the
# bottom panel shows every row of weights scaled by $T$ (1 = uniform, i.e. statistics pooling).
# The menu holds the poolings of this notebook; those not trained up front are trained when first
# chosen (a progress bar appears inside the explorer; later choices load from the cache).
#
# These small models are the *SpeechBrain flavour* of ECAPA-TDNN (see `small_config`): their ASTP is
# the ReLU → BatchNorm → tanh scorer of section 3, not the plain tanh of its first equation. The cell
# asserts the trained pooling against that equation, on the very frames the explorer shows.

# %%
from course import train
from course.viz.attention import attention_entropy, entropy_gap, plot_attention_timeline, plot_entropy_gaps
from course.widgets.attention import attention_explorer, default_utterances, utterance_label

trained = {name: train.course_model(name) for name in EXPLORE}  # the course model of notebook 10
for name, result in trained.items():
    print(f"{name}: the course model, EER {100 * result.eer:.2f}% on the SynthVox test trials")
models = {name: result.model.eval() for name, result in trained.items()}
utterances = default_utterances(UTTERANCES)


def loader(name):
    return models[name] if name in models else train.course_model(name).model


MET_HERE = ["ASTP", "ASP", "SAP", "MHA", "MR-MHA", "MQMHASTP"]  # the attention poolings of this notebook
explorer = attention_explorer(models=loader, utterances=utterances, poolings=MET_HERE, pooling_name=EXPLORE[0])
if "ASTP" in EXPLORE:
    trained_astp = explorer.model("ASTP").pooling
    frames = torch.as_tensor(explorer.compute(0, "ASTP")["frames"])  # (C', T): what the pooling received
    assert not isinstance(trained_astp.norm, torch.nn.Identity), "expected the SpeechBrain flavour"
    with torch.no_grad():
        derive(astp_speechbrain(frames, **speechbrain_symbols(trained_astp)), trained_astp(frames[None])[0],
               name="the explorer's trained ASTP = the SpeechBrain-flavour equation", atol=1e-4)
explorer

# %% [markdown]
# How far from uniform is the trained attention? A row of weights over $T$ frames has entropy
# $\mathcal{H}(\alpha) = -\sum_t \alpha_t\log\alpha_t \le \log T$, with equality only for uniform weights
# (statistics pooling). Below: $\mathcal{H}/\log T$ (1 = uniform) and the gap $\log T - \mathcal{H}$ in nats,
# averaged over rows, per test utterance and over all of them, for the trained model and for an
# untrained model of the same configuration (seeded, no training step): the difference is what
# training did. In default mode the models have trained long enough for the mean gap to be visible,
# and the notebook asserts it (on the mean, the bottom bar).

# %%
from course.audio import read
from course.env import seed_everything
from course.features import fbank
from course.train.builders import build_model
from course.widgets.attention import as_rows


def untrained(name):
    config = train.small_config(pooling=name)
    seed_everything(config.seed)
    return build_model(config).eval()


def weights_of(model, path):
    wave, rate = read(path)
    with torch.no_grad():
        _, w = model.pooling(model.frame_features(fbank(wave, rate)[None])[0], return_weights=True)
    return as_rows(w).float().numpy()


gaps, gaps_before = {}, {}
for name in EXPLORE:
    weights = [explorer.compute(i, name)["weights"] for i in range(len(utterances))]
    before = untrained(name)
    weights_before = [weights_of(before, u) for u in utterances]
    ratio = np.mean([attention_entropy(w).mean() for w in weights])
    per_utterance_gap = {utterance_label(u): float(entropy_gap(w).mean()) for u, w in zip(utterances, weights)}
    per_utterance_before = {utterance_label(u): float(entropy_gap(w).mean())
                            for u, w in zip(utterances, weights_before)}
    gaps[name] = float(np.mean(list(per_utterance_gap.values())))
    gaps_before[name] = float(np.mean(list(per_utterance_before.values())))
    print(f"{name}: trained, entropy / log T = {ratio:.4f}, log T − entropy = {gaps[name]:.3f} nats; "
          f"untrained {gaps_before[name]:.3f} nats")
    plot_entropy_gaps(per_utterance_gap, threshold=None if is_smoke() else MIN_GAP_NATS, baseline=per_utterance_before,
                      title=f"{name}: distance from uniform attention, before and after training")
    plt.show()
if not is_smoke():
    for name, gap in gaps.items():
        assert gap >= MIN_GAP_NATS, f"{name}: attention is almost uniform (log T − entropy = {gap:.3f} nats)"

# %% [markdown]
# The same view as the explorer, drawn once for the first test utterance and the row (channel, for
# ASTP) whose weights are furthest from uniform:

# %%
data = explorer.compute(0, EXPLORE[0])
row = int(np.argmin(attention_entropy(data["weights"])))
label = explorer.model(EXPLORE[0]).pooling.describe_weight_row(row)
plot_attention_timeline(data["waveform"], data["sample_rate"], data["fbank"], data["weights"], row,
                        title=f"{EXPLORE[0]}: the least uniform row, {label}", row_label=label)
plt.show()

# %% [markdown]
# ## Exercises
#
# **Exercise 1.** Implement TSTP for a padded batch: `tstp_with_lengths(x, lengths)` takes frames
# `(B, C, T)` and the valid lengths `(B,)` and returns `(B, 2C)`, the mean and the biased standard
# deviation $\sqrt{\max(\mathrm{var}, 10^{-5})}$ over the valid frames only. The check compares values
# *and* gradients with the library on batches with garbage in the padding.

# %%
def tstp_with_lengths(x, lengths):
    # your code here: a (B, 1, T) mask of valid frames, then masked sums divided by the lengths
    return None


check_tstp_with_lengths(tstp_with_lengths)

# %% tags=["solution"] jupyter={"source_hidden": true}
def tstp_with_lengths(x, lengths):
    mask = (torch.arange(x.shape[-1])[None, None, :] < lengths[:, None, None]).to(x.dtype)
    count = mask.sum(-1)
    mean = (x * mask).sum(-1) / count
    var = ((x - mean[..., None]) ** 2 * mask).sum(-1) / count
    return torch.cat([mean, var.clamp(min=1e-5).sqrt()], dim=1)


assert check_tstp_with_lengths(tstp_with_lengths)

# %% [markdown]
# **Exercise 2.** Derive MQMHASTP's output size from $D$, $Q$ and $H$ and write it as
# `mqmhastp_output_size(in_dim, queries, heads)`.

# %%
def mqmhastp_output_size(in_dim, queries, heads):
    # your code here
    raise NotImplementedError


check_mqmhastp_output_size(mqmhastp_output_size)

# %% tags=["solution"] jupyter={"source_hidden": true}
def mqmhastp_output_size(in_dim, queries, heads):
    d_h = in_dim // heads
    return queries * heads * 2 * d_h  # a mean and a std of d_h values per (query, head) = 2·Q·D


assert check_mqmhastp_output_size(mqmhastp_output_size)

# %% [markdown]
# **Exercise 3.** Count MQMHASTP's parameters: `mqmhastp_parameters(in_dim, queries, heads, layers,
# d_s, d_k)`. Each (query, head) pair has its own scorer with weights *and* biases (count the inert
# last-layer biases of section 8 too: the library holds them).

# %%
def mqmhastp_parameters(in_dim, queries, heads, layers, d_s, d_k):
    # your code here
    return 0


check_mqmhastp_parameters(mqmhastp_parameters)

# %% tags=["solution"] jupyter={"source_hidden": true}
def mqmhastp_parameters(in_dim, queries, heads, layers, d_s, d_k):
    d_h = in_dim // heads
    per_head = d_h * d_s + d_s if layers == 1 else (d_h * d_k + d_k) + (d_k * d_s + d_s)
    return queries * heads * per_head


assert check_mqmhastp_parameters(mqmhastp_parameters)
