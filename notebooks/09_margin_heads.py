# %% [markdown]
# # 09 · Margin heads: softmax, AM, AAM and A-softmax
#
# A speaker-embedding network is trained as a classifier over the training speakers, but it is
# used for something else: comparing two *unseen* voices by the cosine of their embeddings. The
# head that turns an embedding into classification logits decides what geometry the training
# pushes the embeddings towards. This notebook derives each head used in speaker verification
# (the plain softmax, AM-softmax `add_margin`, AAM-softmax `arc_margin` and A-softmax `sphere`,
# as WeSpeaker names them), builds each logit by hand, checks it against `course.heads`, puts all
# target logits on one plot, and ends with a widget that trains 2-D embeddings with the head of
# your choice so you can watch the margin carve gaps between the classes.

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

TOY_STEPS = pick(150, 40)  # optimiser steps of each toy run in the widget
GRID = pick(121, 61)  # resolution of the region map in the widget
NUM_CLASSES = 6  # classes of the hand-built examples
EMBED_DIM = 8  # embedding size of the hand-built examples
SEED = 0

# %%
import math

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F

from course import heads
from course.checks import derive
from course.checks.heads import check_am_logits, check_arc_target, check_sphere_psi
from course.heads.sphere import lambda_at, psi
from course.viz.heads import plot_margin_schedule, plot_target_logits
from course.widgets.margins import margin_explorer

torch.manual_seed(SEED)
x = torch.randn(5, EMBED_DIM)  # five embeddings
y = torch.tensor([0, 1, 2, 3, 4])  # their speakers

# %% [markdown]
# ## 1. Softmax: the logit is an inner product
#
# The plain classifier is a linear layer, one row $w_j$ (and a bias $b_j$) per training speaker:
#
# $$z_j = w_j^\top x + b_j = \lVert w_j\rVert\,\lVert x\rVert\cos\theta_j + b_j,
# \qquad \mathcal{L} = -\log\frac{e^{z_y}}{\sum_j e^{z_j}} .$$
#
# The decision depends on the norms as much as on the angle $\theta_j$ between $x$ and $w_j$,
# while verification scores with the cosine alone. Built by hand:

# %%
head = heads.build("softmax", EMBED_DIM, NUM_CLASSES)
W, b = head.linear.weight, head.linear.bias
z_by_hand = x @ W.T + b
derive(z_by_hand, head(x, y), name="softmax logits")

# the same logits written with norms and the cosine
cos = F.normalize(x, dim=1) @ F.normalize(W, dim=1).T
z_polar = W.norm(dim=1) * x.norm(dim=1, keepdim=True) * cos + b
derive(z_polar, z_by_hand, name="‖w‖‖x‖cos θ + b")

# %% [markdown]
# WeSpeaker's `softmax` projection puts a BatchNorm and a ReLU in front of the linear layer,
# $z = W\,\mathrm{ReLU}(\mathrm{BN}(x)) + b$ (`style="wespeaker"`):

# %%
ws_head = heads.build("softmax", EMBED_DIM, NUM_CLASSES, style="wespeaker").eval()
bn, lin = ws_head.pre[0], ws_head.linear
by_hand = torch.relu((x - bn.running_mean) / torch.sqrt(bn.running_var + bn.eps) * bn.weight + bn.bias) @ lin.weight.T
derive(by_hand + lin.bias, ws_head(x, y), name="BN → ReLU → Linear")

# %% [markdown]
# ## 2. Normalise, then scale
#
# Normalising both vectors and dropping the bias leaves only the angle: $z_j = s\cos\theta_j$ with
# $\cos\theta_j = \hat x^\top \hat w_j$. The scale $s$ is needed because cosines live in $[-1, 1]$, so the
# loss has a floor. Every other $\cos\theta_j = -1$ is impossible for more than two classes: $N$ unit
# vectors cannot all point away from each other, their pairwise cosines average at least $-1/(N-1)$.
# The best case is the $N$ class vectors at the corners of a regular simplex (possible when the
# dimension $D \ge N - 1$), every embedding on its class vector: $\cos\theta_y = 1$, every other
# $\cos\theta_j = -1/(N-1)$, and the loss cannot go below (Wang et al., NormFace, ACM MM 2017)
#
# $$\mathcal{L}_{\min}(s) = \log\Bigl(1 + (N-1)\,e^{-sN/(N-1)}\Bigr).$$
#
# First the simplex, built and scored, against the formula; then the floor for $N$ = 5,994 speakers
# (VoxCeleb2 dev), where $N/(N-1) \approx 1$:

# %%
def loss_floor(n, s):
    return math.log1p((n - 1) * math.exp(-s * n / (n - 1)))


n_small, s_small = 5, 1.0
centred = torch.eye(n_small, dtype=torch.float64) - 1.0 / n_small  # simplex corners, in an (N−1)-dim subspace
corners = F.normalize(centred, dim=1)
print(f"cosine between two class vectors: {(corners[0] @ corners[1]).item():.4f} = −1/(N−1) = {-1 / (n_small - 1)}")
simplex_loss = F.cross_entropy(s_small * corners @ corners.T, torch.arange(n_small))
derive(simplex_loss, loss_floor(n_small, s_small), name=f"cross-entropy at the simplex, N={n_small}, s={s_small:g}")

n_speakers = 5994
floors = {s: loss_floor(n_speakers, s) for s in (1, 4, 8, 16, 32)}
for s, floor in floors.items():
    print(f"s = {s:>2}: loss floor {floor:.3g} nats")
assert floors[8] > 1 and floors[32] < 1e-9  # s = 8 still leaves more than a nat; s = 32 none to speak of

# %% [markdown]
# At $s = 1$ the loss cannot fall below several nats, and even $s = 8$ leaves more than one; with
# $s = 32$ (WeSpeaker's default) the floor is gone, which leaves room for the margins below.

# %% [markdown]
# ## 3. AM-softmax (`add_margin`): subtract m from the target cosine
#
# Wang et al. (IEEE Signal Processing Letters, 2018) subtract a margin from the cosine of the true class only:
#
# $$z_y = s(\cos\theta_y - m), \qquad z_j = s\cos\theta_j \quad (j \ne y).$$
#
# To be classified correctly *during training*, an embedding must beat every other class by $m$ in
# cosine; at test time the margin is gone, so the classes end up separated by a gap.

# %%
am = heads.build("add_margin", EMBED_DIM, NUM_CLASSES, scale=32.0, margin=0.2)
cos = F.normalize(x, dim=1) @ F.normalize(am.weight, dim=1).T
onehot = F.one_hot(y, NUM_CLASSES).float()
z_am = 32.0 * (cos - 0.2 * onehot)
derive(z_am, am(x, y), name="AM-softmax logits")

# %% [markdown]
# ## 4. AAM-softmax (`arc_margin`): add m to the angle
#
# ArcFace (Deng, Guo, Xue, Zafeiriou, CVPR 2019) puts the margin on the angle itself,
# $z_y = s\cos(\theta_y + m)$, computed without an arccos:
#
# $$\cos(\theta + m) = \cos\theta\cos m - \sin\theta \sin m,
# \qquad \sin\theta = \sqrt{1-\cos^2\theta}\ \ (\theta\in[0,\pi]).$$
#
# Past $\theta = \pi - m$, $\theta + m$ exceeds $\pi$ and $\cos(\theta+m)$ *rises* again: a worse
# angle would get a better target logit. Three replacements are in use:
#
# - WeSpeaker's default (and this course's): $\cos\theta - (1 + \cos(\pi - m))$ where
#   $\cos\theta \le \cos(\pi - m)$, which meets $\cos(\theta+m) = -1$ at $\theta = \pi - m$ and keeps falling;
# - InsightFace's ArcFace code: $\cos\theta - m\sin m$ there, falling too, with a small step down
#   at $\theta = \pi - m$ (from $-1$ to $-\cos m - m \sin m$);
# - `easy_margin`: the margin only where $\cos\theta > 0$. It is no fix of the same kind: at
#   $\theta = 90°$ the target jumps *up* from $\cos(90° + m) = -\sin m$ to $\cos 90° = 0$, so just past
#   90° a worse angle gets a better logit.
#
# The cell evaluates the three around the two places where they matter:

# %%
m = 0.2
theta = torch.tensor([0.5, math.pi - m - 0.01, math.pi - 0.01], dtype=torch.float64)
print("θ + m ≤ π?     ", (theta + m <= math.pi).tolist())
print("cos(θ + m)     ", (theta + m).cos().numpy().round(4))
arc = heads.build("arc_margin", 2, 2, margin=m).double()
print("arc_margin     ", arc.target(theta.cos()).detach().numpy().round(4))

easy = heads.build("arc_margin", 2, 2, margin=m, easy_margin=True).double()
around_90 = torch.tensor([math.pi / 2 - 1e-6, math.pi / 2 + 1e-6], dtype=torch.float64).cos()
jump = (easy.target(around_90)[1] - easy.target(around_90)[0]).item()
print(f"easy_margin just before and after 90°: {easy.target(around_90).numpy().round(4)} (a jump of {jump:+.4f})")
at_limit = torch.tensor([math.pi - m - 1e-6, math.pi - m + 1e-6], dtype=torch.float64).cos()
insightface = torch.where(at_limit > math.cos(math.pi - m), arc.target(at_limit), at_limit - m * math.sin(m))
print(f"at θ = π − m: WeSpeaker's fallback {arc.target(at_limit).numpy().round(4)}, "
      f"InsightFace's {insightface.numpy().round(4)}")
assert abs(jump - math.sin(m)) < 1e-4  # the easy margin rewards crossing 90° by sin m

# %% [markdown]
# **The gradient trap.** $\frac{d}{dc}\sqrt{1-c^2} = -c/\sqrt{1-c^2}$ is infinite at $c = \pm1$: an
# embedding that sits exactly on its class vector produces an infinite gradient, and `torch.where`
# turns $0\cdot\infty$ into NaN even in the branch it does not select. Flooring $1 - \cos^2\theta$ at
# $10^{-12}$ moves values by less than $10^{-6}$ and keeps every gradient finite:

# %%
c = torch.tensor([1.0, 0.5, -1.0], requires_grad=True)
naive_sine = (1 - c * c).clamp(0, 1).sqrt()  # WeSpeaker's original clamp(0, 1)
naive_sine.sum().backward()
print("naive   d sinθ / d cosθ:", c.grad.tolist())
c.grad = None
safe_sine = (1 - c * c).clamp(min=1e-12).sqrt()
safe_sine.sum().backward()
print("floored d sinθ / d cosθ:", c.grad.tolist())
assert torch.isfinite(c.grad).all()

# %% [markdown]
# By hand, against the library head (non-easy version, s = 32, m = 0.2):

# %%
aam = heads.build("arc_margin", EMBED_DIM, NUM_CLASSES, margin=0.2)
cos = F.normalize(x, dim=1) @ F.normalize(aam.weight, dim=1).T
sin = (1 - cos**2).clamp(min=1e-12).sqrt()
phi = cos * math.cos(0.2) - sin * math.sin(0.2)
phi = torch.where(cos > math.cos(math.pi - 0.2), phi, cos - (1 + math.cos(math.pi - 0.2)))
z_aam = 32.0 * torch.where(onehot.bool(), phi, cos)
derive(z_aam, aam(x, y), name="AAM-softmax logits")

# %% [markdown]
# ## 5. A-softmax (`sphere`): multiply the angle by m
#
# SphereFace (Liu, Wen, Yu, Li, Raj, Song, CVPR 2017) asks for $\cos(m\theta_y) > \cos\theta_j$ with an
# integer $m$ (4). $\cos(m\theta)$ is not monotone on $[0, \pi]$, so it is continued piecewise:
#
# $$\psi(\theta) = (-1)^k\cos(m\theta) - 2k,\qquad k = \lfloor m\theta/\pi \rfloor .$$
#
# A margin this large stalls training at the start, so SphereFace's authors blend it in (their
# released training code; WeSpeaker copies the recipe) with
# $\lambda = \max(5,\ 1000\,(1 + 0.12\,\mathrm{iter})^{-1})$, and the logits are scaled by the
# embedding norm $\lVert x\rVert$ instead of a fixed $s$:
#
# $$z_y = \lVert x\rVert\Bigl(\cos\theta_y + \frac{\psi(\theta_y) - \cos\theta_y}{1 + \lambda}\Bigr),
# \qquad z_j = \lVert x\rVert\cos\theta_j .$$
#
# $\cos(4\theta) = 8\cos^4\theta - 8\cos^2\theta + 1$ is a polynomial in $\cos\theta$, so again no arccos
# sits in the gradient path. Because λ does the warming up, A-softmax's integer $m$ is not ramped:
# `head.update(m)` accepts an integer $m \ge 1$ only, and a margin scheduler that would set a fraction
# is refused with an error (rounding 0.2 to $m = 1$ would silently remove the margin).

# %%
sphere = heads.build("sphere", EMBED_DIM, NUM_CLASSES).train()
sphere.step()  # the training loop calls step() before each step's forward pass: iteration 1
z_sphere = sphere(x, y)
lam = max(5.0, 1000.0 / (1 + 0.12 * 1))
cos = (F.normalize(x, dim=1) @ F.normalize(sphere.weight, dim=1).T).clamp(-1, 1)
t = cos.acos()
k = torch.floor(4 * t / math.pi).clamp(max=3)
psi_by_hand = (-1) ** k * (8 * cos**4 - 8 * cos**2 + 1) - 2 * k
target = cos + (psi_by_hand - cos) / (1 + lam)
derive(x.norm(dim=1, keepdim=True) * torch.where(onehot.bool(), target, cos), z_sphere, name="A-softmax logits")
for step in (1, 100, 1000, 10000):
    print(f"λ after {step:>5} steps: {lambda_at(step):7.1f}")

# %% [markdown]
# ## 6. Every head on one plot
#
# The target logit divided by its scale, as a function of the angle to the true class vector.
# The other classes keep $\cos\theta_j$ (the first, blue curve), and each head lowers the target below
# it in its own way: AM moves the curve *down* by $m$ (the same vertical gap at every angle); AAM moves
# it *right* by $m$ (the same horizontal gap: the target at $\theta$ is the plain cosine at $\theta + m$,
# while the vertical gap $2\sin(\theta + m/2)\sin(m/2)$ varies with $\theta$); A-softmax multiplies the
# angle, so its gap grows with $\theta$.

# %%
theta = torch.linspace(0, math.pi, 361, dtype=torch.float64)
c = theta.cos()
late = heads.build("sphere", 2, 2).double()
late.iteration.fill_(100_000)  # λ at its floor, 5
curves = {
    "cos θ (normalised softmax; every non-target logit)": c,
    "AM  (add_margin, m=0.2): cos θ − m": heads.build("add_margin", 2, 2, margin=0.2).double().target(c),
    "AAM (arc_margin, m=0.2): cos(θ + m)": heads.build("arc_margin", 2, 2, margin=0.2).double().target(c),
    "AAM easy_margin (m=0.2)": heads.build("arc_margin", 2, 2, margin=0.2, easy_margin=True).double().target(c),
    "A-softmax ψ(θ), m=4 (λ = 0)": psi(c, 4),
    "A-softmax blended, λ = 5": late.target(c),
}
curves = {name: v.detach().numpy() for name, v in curves.items()}
fig = plot_target_logits(np.degrees(theta.numpy()), curves, ylim=(-2.3, 1.15),
                         title="Target logit against θ (pure ψ continues down to −7 at 180°)")
print(f"ψ(180°) = {curves['A-softmax ψ(θ), m=4 (λ = 0)'][-1]:.3f}")
fig.savefig("09_target_logits.png", dpi=90)
plt.show()

# %% [markdown]
# ## 7. Ramping the margin
#
# A full margin from step 0 can keep every class "wrong" and stall training. WeSpeaker's margin
# scheduler holds $m = 0$, then raises it to its final value (exponentially fast at first, or linearly);
# `heads.MarginScheduler` calls `head.update(m)` every step:

# %%
steps = np.arange(0, 3001)
schedules = {}
for kind in ("exp", "linear"):
    scheduler = heads.MarginScheduler(heads.build("arc_margin", 2, 2), initial=0.0, final=0.2,
                                      start=500, stop=2000, kind=kind)
    schedules[kind] = np.array([scheduler.margin_at(int(s)) for s in steps])
plot_margin_schedule(steps, schedules)
plt.show()

# %% [markdown]
# ## 8. See the margin: a 2-D explorer
#
# A small MLP maps five Gaussian classes to **2-D** embeddings and is trained for a few steps with the
# head you choose. Each point of the plane is coloured by the class it is assigned at test time,
# strongly where that class *still wins with its margin* and pale where it wins only without it: the
# pale wedges between the strong regions are the margin zones that training pushes the embeddings
# out of. Try: softmax (embeddings fly outwards because the norm helps the loss), AM vs AAM at the
# same m, a small s (the loss stops at a floor, measured below), and A-softmax with m = 1 (no margin)
# against m = 4.

# %%
explorer = margin_explorer(steps=TOY_STEPS, grid_size=GRID, seed=SEED)
explorer

# %% [markdown]
# The explorer exposes what it drew; for instance the share of the plane that is margin zone:

# %%
for head_name, margin in (("add_margin", 0.1), ("add_margin", 0.4)):
    explorer.set(head=head_name, m=margin)  # several controls, one redraw
    zone = (explorer.last_plotted["margin"] == -1).mean()
    accuracy = explorer.result.accuracy
    print(f"{head_name}, m = {margin}: margin zone {zone:.0%} of the plane, train accuracy {accuracy:.0%}")

# A small scale: no margin, s = 1. The mean loss of a batch with as many examples of each class as
# here stays above the floor of section 2 (reachable only in N − 1 = 4 dimensions or more; in 2-D the
# true floor is higher still).
explorer.set(head="add_margin", m=0.0, s=1.0)
floor = loss_floor(explorer.classes, 1.0)
print(f"s = 1: lowest loss of the run {min(explorer.result.losses):.3f} nats; floor for "
      f"{explorer.classes} classes {floor:.3f} nats")
assert min(explorer.result.losses) >= floor - 1e-6
explorer.set(head="arc_margin", m=0.2, s=32.0)  # back to the defaults

# %% [markdown]
# ## Exercises
#
# **Exercise 1.** Write the AM-softmax logits from a matrix of cosines: `am_logits(cos, labels, scale, margin)`
# returns $s(\cos\theta_j - m\,[j = y])$ for every row.

# %%
def am_logits(cos, labels, scale, margin):
    # your code here: subtract the margin from the target column only, then scale
    return None


check_am_logits(am_logits)

# %% tags=["solution"] jupyter={"source_hidden": true}
def am_logits(cos, labels, scale, margin):
    onehot = F.one_hot(labels, cos.shape[1]).to(cos.dtype)
    return scale * (cos - margin * onehot)


assert check_am_logits(am_logits)

# %% [markdown]
# **Exercise 2.** Write the AAM target `arc_target(cos, m)` = $\cos(\theta + m)$ with the non-easy fallback,
# whose gradient is finite at $\cos\theta = \pm 1$. (The check compares values *and* gradients: an
# `acos` will fail it at ±1.)

# %%
def arc_target(cos, m):
    # your code here
    raise NotImplementedError


check_arc_target(arc_target)

# %% tags=["solution"] jupyter={"source_hidden": true}
def arc_target(cos, m):
    sine = (1 - cos * cos).clamp(min=1e-12).sqrt()
    phi = cos * math.cos(m) - sine * math.sin(m)
    threshold = math.cos(math.pi - m)
    return torch.where(cos > threshold, phi, cos - (1 + threshold))


assert check_arc_target(arc_target)

# %% [markdown]
# **Exercise 3.** Write A-softmax's $\psi(\theta) = (-1)^k\cos(m\theta) - 2k$ with $k = \lfloor m\theta/\pi\rfloor$,
# `sphere_psi(theta, m)`. The cell also plots *your* $\psi$ for $m = 4$: it should decrease monotonically.

# %%
def sphere_psi(theta, m):
    # your code here
    return torch.cos(m * theta)  # not yet: this rises again after θ = π/m


check_sphere_psi(sphere_psi)
angles = torch.linspace(0, math.pi, 181, dtype=torch.float64)
fig, ax = plt.subplots(figsize=(5, 3))
ax.plot(np.degrees(angles.numpy()), sphere_psi(angles, 4).numpy())
ax.set(xlabel="θ (degrees)", ylabel="your ψ(θ), m = 4", title="Your ψ: it should only go down")
plt.show()

# %% tags=["solution"] jupyter={"source_hidden": true}
def sphere_psi(theta, m):
    k = torch.floor(m * theta / math.pi)
    return (-1) ** k * torch.cos(m * theta) - 2 * k


assert check_sphere_psi(sphere_psi)
