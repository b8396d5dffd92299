"""Stand-ins shared by the training tests: a tiny in-memory corpus (no audio) and a tiny config."""

import torch
from torch.utils.data import Dataset

from course import train
from course.train.hooks import Hooks


class ToyChunks(Dataset):
    """Speakers = Gaussian means over 80 bins; utterances of varying length, fixed (no random crops)."""

    def __init__(self, speakers=3, per_speaker=4, frames=30, seed=0):
        g = torch.Generator().manual_seed(seed)
        means = 2 * torch.randn(speakers, 80, 1, generator=g)
        self.items = [(means[s] + torch.randn(80, frames - 4 * (i % 3), generator=g), s)
                      for s in range(speakers) for i in range(per_speaker)]
        self.num_speakers = speakers

    def __len__(self):
        return len(self.items)

    def __getitem__(self, index):
        return self.items[index]


def toy_collate(batch):
    lengths = torch.tensor([f.shape[1] for f, _ in batch])
    feats = torch.zeros(len(batch), 80, int(lengths.max()))
    for i, (f, _) in enumerate(batch):
        feats[i, :, : f.shape[1]] = f
    return feats, lengths, torch.tensor([label for _, label in batch])


def tiny_config(**overrides):
    values = dict(model_kwargs={"channels": 16, "embed_dim": 16, "scale": 4, "se_bottleneck": 8},
                  steps=6, batch_size=4, lr=3e-3, device="cpu", checkpoint_every=3)
    values.update(overrides)
    return train.TrainConfig(**values)


def stop_at_first_checkpoint(config) -> Hooks:
    """Hooks that stop a run, as a learner pressing stop would, right after its first checkpoint
    (step ``config.checkpoint_every``), leaving that checkpoint to resume from."""
    return Hooks(should_stop=lambda state: state["step"] == config.checkpoint_every)
