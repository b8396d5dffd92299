# %% [markdown]
# # 05 · Dictionary pooling: NetVLAD, GhostVLAD and LDE
#
# Statistics pooling summarises an utterance by one mean and one spread for the whole cloud of
# frames. Dictionary pooling keeps more of the cloud's shape: it learns a small dictionary of
# centres, softly assigns every frame to them, and describes the utterance by where its frames
# sit *relative to each centre*. This notebook builds NetVLAD (Arandjelović, Gronát, Torii, Pajdla,
# Sivic, CVPR 2016, for place recognition), GhostVLAD (Zhong, Arandjelović, Zisserman, ACCV 2018, for
# face recognition) — both applied to speakers by Xie, Nagrani, Chung, Zisserman, "Utterance-level
# Aggregation for Speaker Recognition in the Wild", ICASSP 2019 — and learnable dictionary encoding,
# LDE (Cai, Chen, Li, arXiv:1804.05160, 2018), by hand on real fbank frames of SynthVox utterances,
# checks each against `course.pooling` and its equation-literal reference (the build stops if they
# differ), and ends with a view of every frame's assignment over time.

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

NUM_UTTERANCES = pick(8, 4)  # SynthVox test utterances whose fbank frames we pool
CLUSTERS = 4  # K, dictionary size
GHOSTS = 2  # G, GhostVLAD's ghost clusters
ALPHA = 0.002  # sharpness of the soft nearest-centre assignment (squared distances here are ~10³)
SEED = 0

# %%
import matplotlib.pyplot as plt
import torch
from torch.nn.utils.rnn import pad_sequence

from course import pooling
from course.audio import read
from course.checks import derive
from course.checks.dictionary_spectral import check_lde_weights, check_netvlad
from course.data import default_corpus
from course.data.corpus import test_utterances
from course.features import fbank
from course.pooling.dictionary import kmeans
from course.pooling.reference import dictionary as ref_dictionary
from course.pooling.reference import lde as ref_lde
from course.viz.assignments import plot_assignments
from course.widgets.assignments import assignment_explorer

torch.manual_seed(SEED)
root = default_corpus()
paths = test_utterances(root)[:NUM_UTTERANCES]
utterances = [fbank(read(path)[0]) for path in paths]  # each (80, T), log-mel with CMN
lengths = torch.tensor([u.shape[1] for u in utterances])
x = pad_sequence([u.T for u in utterances], batch_first=True).transpose(1, 2)  # (B, 80, T_max), zero-padded
mask = (torch.arange(x.shape[-1])[None] < lengths[:, None]).unsqueeze(1)  # (B, 1, T) True on valid frames
D = x.shape[1]
print(f"{len(utterances)} utterances, {D} mel channels, lengths {lengths.tolist()} frames")

# %% [markdown]
# ## 1. A dictionary and a soft assignment
#
# Start from $K$ centres $c_1,\dots,c_K \in \mathbb{R}^D$. Before any training we take them from
# k-means over the frames of all our utterances. A frame $x_t$ belongs to centre $k$ with the
# *soft* weight
#
# $$a_{t,k} = \frac{e^{-\alpha\lVert x_t - c_k\rVert^2}}{\sum_{j} e^{-\alpha\lVert x_t - c_j\rVert^2}}
# = \frac{e^{w_k^\top x_t + b_k}}{\sum_j e^{w_j^\top x_t + b_j}},
# \qquad w_k = 2\alpha c_k,\; b_k = -\alpha\lVert c_k\rVert^2 ,$$
#
# because $-\alpha\lVert x - c_k\rVert^2 = 2\alpha c_k^\top x - \alpha\lVert c_k\rVert^2 - \alpha\lVert x\rVert^2$
# and the last term, the same for every $k$, cancels in the softmax. NetVLAD learns $w_k, b_k$ and
# $c_k$ freely (a $1\times1$ convolution and a parameter), which is why it can do more than nearest-centre
# assignment; the soft nearest-centre rule is a good starting point and what we show here.
# The scale of $\alpha$ matters: on 80 CMN log-mel channels the squared distances are in the
# hundreds to thousands, so a seemingly small $\alpha$ already makes the assignment nearly hard.
# The cell prints their median and how soft the assignment is for our $\alpha$ and for one ten
# times larger.

# %%
frames_all = torch.cat(utterances, dim=1).T  # (N, D): every valid frame
centres = kmeans(frames_all, CLUSTERS, seed=SEED)  # (K, D)

distances = ((x.unsqueeze(1) - centres[None, :, :, None]) ** 2).sum(2)  # ‖x_t − c_k‖², (B, K, T)
a_by_distance = torch.softmax(-ALPHA * distances, dim=1)
W, b = 2 * ALPHA * centres, -ALPHA * (centres**2).sum(1)
a_by_linear = torch.softmax(torch.einsum("kd,bdt->bkt", W, x) + b[None, :, None], dim=1)
derive(a_by_linear, a_by_distance, name="softmax(w_kᵀx + b_k) = softmax(−α‖x − c_k‖²)", atol=1e-4)
assert torch.allclose(a_by_linear.sum(1), torch.ones(1)), "each frame's assignments sum to one"

# How soft is "soft"? With CMN log-mel frames the squared distances are large, so α sets the sharpness.
valid_distances = distances.transpose(1, 2)[mask[:, 0]]  # (N, K) over valid frames
print(f"squared distances ‖x_t − c_k‖²: median {valid_distances.median():.0f}")


def mean_max_assignment(alpha):
    return float(torch.softmax(-alpha * valid_distances, dim=1).max(1).values.mean())


for alpha in (ALPHA, 10 * ALPHA):
    print(f"α = {alpha:g}: the largest assignment of a frame is {mean_max_assignment(alpha):.2f} on average "
          f"(1 = hard, 1/K = {1 / CLUSTERS:.2f} = no preference)")
assert mean_max_assignment(ALPHA) < 0.9, "ALPHA should give a visibly soft assignment"

# %% [markdown]
# ## 2. NetVLAD: residuals per centre
#
# NetVLAD sums, for every centre, the residuals of the frames assigned to it, over the valid frames only:
#
# $$V_k = \sum_{t=1}^{T} a_{t,k}\,(x_t - c_k) \in \mathbb{R}^D,\qquad
# \hat V_k = \frac{V_k}{\lVert V_k\rVert},\qquad
# v = \frac{[\hat V_1;\dots;\hat V_K]}{\lVert[\hat V_1;\dots;\hat V_K]\rVert} \in \mathbb{R}^{K D}.$$
#
# The first normalisation ("intra-normalisation") stops one busy centre from dominating; after
# it every block has norm $1/\sqrt K$ in $v$. Padded frames get $a_{t,k} = 0$, so they add
# nothing: the padded batch gives the same embedding as each utterance alone.

# %%
a = a_by_linear * mask  # padded frames are assigned nowhere
V = torch.einsum("bkt,bdt->bkd", a, x) - a.sum(-1, keepdim=True) * centres  # Σ_t a_tk x_t − (Σ_t a_tk) c_k
V = V / V.norm(dim=-1, keepdim=True)
v_by_hand = (V.flatten(1) / V.flatten(1).norm(dim=-1, keepdim=True))

netvlad = pooling.build("NetVLAD", D, num_clusters=CLUSTERS).set_centres(centres, ALPHA).eval()
with torch.no_grad():
    v_library = netvlad(x, lengths)
    v_reference = torch.stack([ref_dictionary.netvlad(u, **netvlad.equation_parameters()) for u in utterances])
derive(v_by_hand, v_library, name="NetVLAD by hand vs course.pooling")
derive(v_reference, v_library, name="NetVLAD, equation-literal loops vs course.pooling")
block_norms = v_library.view(-1, CLUSTERS, D).norm(dim=-1)
print(f"embedding size K·D = {CLUSTERS}·{D} = {netvlad.out_dim}; block norms of utterance 0:",
      [round(float(n), 4) for n in block_norms[0]], f"(1/√K = {CLUSTERS ** -0.5:.4f})")
assert torch.allclose(block_norms, torch.full_like(block_norms, CLUSTERS**-0.5), atol=1e-5)

# %% [markdown]
# Which frames go where? Below, the fbank frames of one utterance, each frame's soft assignment
# (a column summing to one), and each centre's soft count $\sum_t a_{t,k}$.

# %%
with torch.no_grad():
    _, weights = netvlad(x[:1, :, : lengths[0]], return_weights=True)
fig = plot_assignments(utterances[0].numpy(), weights[0].numpy(), weights[0].sum(-1).numpy(),
                       title=f"NetVLAD with k-means centres, K = {CLUSTERS}, α = {ALPHA}")
plt.show()

# %% [markdown]
# ## 3. GhostVLAD: clusters that absorb frames and then vanish
#
# GhostVLAD adds $G$ *ghost* clusters to the softmax, $a_{t,k}$ over $k = 1\dots K+G$, and then
# drops $V_{K+1},\dots,V_{K+G}$. A frame that a ghost claims contributes (almost) nothing to the
# embedding. In a trained network the assignment is learned, and the motivation of Zhong et al. and
# Xie et al. is that it can learn to send uninformative frames (silence, noise) to the ghosts; nothing
# is trained in this notebook, so it does not show that. Here *we* choose the ghosts: the $G$ k-means
# centres with the lowest mean log-mel energy. Quiet frames lie near those centres, so they should go
# to the ghosts more than loud frames do — a consequence of our choice, which the cell checks on every
# utterance.

# %%
centres_g = kmeans(frames_all, CLUSTERS + GHOSTS, seed=SEED)
centres_g = centres_g[torch.argsort(centres_g.mean(1), descending=True)]  # quietest last: the ghosts
ghostvlad = pooling.build("GhostVLAD", D, num_clusters=CLUSTERS, ghost_clusters=GHOSTS)
ghostvlad.set_centres(centres_g, ALPHA).eval()
with torch.no_grad():
    g_library, g_weights = ghostvlad(x, lengths, return_weights=True)
    g_reference = torch.stack([ref_dictionary.netvlad(u, **ghostvlad.equation_parameters()) for u in utterances])
derive(g_reference, g_library, name="GhostVLAD, equation-literal loops vs course.pooling")
assert torch.allclose(g_weights.sum(1)[mask[:, 0]], torch.ones(1)), "assignments sum to one over K + G"
print(f"embedding size stays K·D = {ghostvlad.out_dim}")
for i, u in enumerate(utterances):
    energy = u.mean(0)  # mean log-mel energy of each frame
    ghost_share = g_weights[i, CLUSTERS:, : lengths[i]].sum(0)  # what the ghosts take of each frame
    quiet = energy < energy.median()
    print(f"utterance {i}: ghosts take {ghost_share[quiet].mean():.0%} of each quieter-than-median frame "
          f"on average and {ghost_share[~quiet].mean():.0%} of each louder one")
    assert ghost_share[quiet].mean() > ghost_share[~quiet].mean(), "quiet frames should go to the ghosts more"

# %% [markdown]
# ## 4. LDE: a mean residual per centre, with a learnable smoothing factor
#
# LDE keeps the dictionary $\mu_c$ and gives every centre its own smoothing factor $s_c$:
#
# $$w_{t,c} = \frac{e^{-s_c\lVert x_t-\mu_c\rVert^2}}{\sum_{c'} e^{-s_{c'}\lVert x_t-\mu_{c'}\rVert^2}},\qquad
# e_c = \frac{\sum_t w_{t,c}\,(x_t-\mu_c)}{\sum_t w_{t,c}},\qquad [e_1;\dots;e_C]\in\mathbb{R}^{CD}.$$
#
# **Normalisation.** Sources differ on the denominator; `course.pooling` divides by the soft
# count $\sum_t w_{t,c}$ (default `normalise="weights"`): $e_c$ is then the mean residual of the
# frames the centre attracts, whatever the utterance length. `normalise="frames"` divides by $T$,
# which keeps the centre's share of the frames in $e_c$: $e^{(T)}_c = e_c\cdot\sum_t w_{t,c}/T$.
# Unlike NetVLAD there is no normalisation after the sum, and the $s_c$ can differ per centre:
# a broad centre (small $s_c$) collects from far away, a sharp one only from its neighbourhood.

# %%
s = torch.full((CLUSTERS,), ALPHA)
w = torch.softmax(-s[None, :, None] * distances, dim=1) * mask  # (B, C, T), zero on padding
count = w.sum(-1)  # soft counts Σ_t w_tc
e_by_hand = (torch.einsum("bct,bdt->bcd", w, x) - count.unsqueeze(-1) * centres) / count.unsqueeze(-1)

lde = pooling.build("LDE", D, num_centres=CLUSTERS).set_centres(centres, ALPHA).eval()
lde_frames = pooling.build("LDE", D, num_centres=CLUSTERS, normalise="frames").set_centres(centres, ALPHA).eval()
with torch.no_grad():
    e_library = lde(x, lengths)
    e_reference = torch.stack([ref_lde.lde(u, **lde.equation_parameters()) for u in utterances])
    e_frames = lde_frames(x, lengths)
derive(e_by_hand.flatten(1), e_library, name="LDE by hand vs course.pooling", atol=1e-4)
derive(e_reference, e_library, name="LDE, equation-literal loops vs course.pooling", atol=1e-4)
share = count / lengths[:, None]
derive(e_frames, (e_library.view(-1, CLUSTERS, D) * share.unsqueeze(-1)).flatten(1),
      name="normalise='frames' = normalise='weights' × the centre's share of frames", atol=1e-4)

# %% [markdown]
# With a soft nearest-centre assignment NetVLAD and LDE look alike; the differences are in
# what is learned and how the sum is normalised:
#
# | | assignment | per-centre vector | normalisation | size |
# |---|---|---|---|---|
# | NetVLAD | softmax of a free linear map | $\sum_t a_{t,k}(x_t-c_k)$ | intra-L2, then L2 | $KD$ |
# | GhostVLAD | same, over $K+G$ | same, ghosts dropped | intra-L2, then L2 | $KD$ |
# | LDE | softmax of $-s_c\lVert x_t-\mu_c\rVert^2$ | mean residual | none (÷ soft count) | $CD$ |
#
# All three ignore the order of the frames (a sum over $t$) and, with masks, the padding:

# %%
for name, module in [("NetVLAD", netvlad), ("GhostVLAD", ghostvlad), ("LDE", lde)]:
    with torch.no_grad():
        batched = module(x, lengths)
        alone = torch.cat([module(u[None]) for u in utterances])
        shuffled = torch.cat([module(u[None, :, torch.randperm(u.shape[1])]) for u in utterances])
    derive(batched, alone, name=f"{name}: padded batch = each utterance alone", atol=1e-4)
    derive(shuffled, alone, name=f"{name}: shuffling the frames changes nothing", atol=1e-4)

# %% [markdown]
# ## 5. The assignment explorer
#
# Pick the method, the number of clusters $K$, the sharpness $\alpha$ and the utterance. A small
# $\alpha$ spreads every frame over all centres; a large one makes the assignment nearly hard.
# For GhostVLAD the ghosts are the top rows, above the blue line (labelled "ghost 0", "ghost 1";
# darker = more of the frame): watch them darken in the pauses. Try: raise $\alpha$ and see which
# frames the ghosts claim; then switch to NetVLAD and see where those frames go instead. Why is
# dropping a ghost's $V_k$ not the same as dropping the frames it claims? (Hint: $a_{t,k}$ is soft.
# The answer is in the next cell.)

# %%
explorer = assignment_explorer(utterances, method="GhostVLAD", clusters=CLUSTERS, alpha=ALPHA)
explorer

# %% [markdown]
# **Answer.** A frame is never wholly a ghost's: it gives $a_{t,k}$ of its residual to each kept
# cluster and only the ghosts' share disappears. Dropping the ghosts' $V_k$ therefore removes a
# *fraction* of every frame, while dropping "the frames a ghost claims" would remove whole frames and
# keep the rest whole. The two agree only as the assignment becomes hard. Measured on utterance 0:
# how much of the kept clusters' soft count comes from frames that the ghosts take most of, and how
# far GhostVLAD's embedding is from the one computed without those frames:

# %%
def ghostvlad_without(frames, drop):
    with torch.no_grad():
        return ghostvlad(frames[None, :, ~drop])[0]


with torch.no_grad():
    for alpha in (ALPHA, 10 * ALPHA, 100 * ALPHA):
        ghostvlad.set_centres(centres_g, alpha)
        a0 = ghostvlad(utterances[0][None], return_weights=True)[1][0]  # (K + G, T)
        ghostly = a0[CLUSTERS:].sum(0) > 0.5  # frames the ghosts take most of
        kept_from_ghostly = a0[:CLUSTERS, ghostly].sum() / a0[:CLUSTERS].sum()
        gap = (ghostvlad(utterances[0][None])[0] - ghostvlad_without(utterances[0], ghostly)).norm()
        print(f"α = {alpha:g}: {int(ghostly.sum())} of {a0.shape[1]} frames mostly ghost; they still give "
              f"{kept_from_ghostly:.1%} of the kept soft counts; ‖GhostVLAD − GhostVLAD without them‖ = {gap:.3f}")
    ghostvlad.set_centres(centres_g, ALPHA)  # back to the notebook's α

# %% [markdown]
# ## Exercises
#
# **Exercise 1.** Write NetVLAD for a padded batch: `my_netvlad(x, lengths, W, b, c)` with
# $x$ `(B, D, T)`, $W$ `(K, D)`, $b$ `(K,)`, $c$ `(K, D)`, returning `(B, K·D)`: softmax over
# clusters, residual sums over the valid frames only, intra-L2 normalisation, flatten, L2 normalisation.

# %%
def my_netvlad(x, lengths, W, b, c):
    # your code here
    return None


check_netvlad(my_netvlad)

# %% tags=["solution"] jupyter={"source_hidden": true}
def my_netvlad(x, lengths, W, b, c):
    valid = (torch.arange(x.shape[-1])[None] < lengths[:, None]).float().unsqueeze(1)  # (B, 1, T)
    a = torch.softmax(torch.einsum("kd,bdt->bkt", W, x) + b[None, :, None], dim=1) * valid
    V = torch.einsum("bkt,bdt->bkd", a, x * valid) - a.sum(-1, keepdim=True) * c
    V = V / V.norm(dim=-1, keepdim=True)
    v = V.flatten(1)
    return v / v.norm(dim=-1, keepdim=True)


assert check_netvlad(my_netvlad)

# %% [markdown]
# **Exercise 2.** Write LDE's assignment `my_lde_weights(x, lengths, mu, s)` → `(B, C, T)`:
# $w_{t,c} = \mathrm{softmax}_c(-s_c\lVert x_t-\mu_c\rVert^2)$ on valid frames and exactly 0 on
# padded ones. Careful: the softmax runs over the *centres*, not over time.

# %%
def my_lde_weights(x, lengths, mu, s):
    # your code here
    raise NotImplementedError


check_lde_weights(my_lde_weights)

# %% tags=["solution"] jupyter={"source_hidden": true}
def my_lde_weights(x, lengths, mu, s):
    valid = (torch.arange(x.shape[-1])[None] < lengths[:, None]).unsqueeze(1)  # (B, 1, T)
    squared = ((x.unsqueeze(1) - mu[None, :, :, None]) ** 2).sum(2)  # (B, C, T)
    return torch.softmax(-s[None, :, None] * squared, dim=1) * valid


assert check_lde_weights(my_lde_weights)
