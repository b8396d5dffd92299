"""DistributedDataParallel on the CPU (gloo): two processes at batch b take the steps of one at batch 2b."""

import socket

import pytest
import torch
import torch.multiprocessing as mp
from torch import nn

from course import train

STEPS, BATCH = 4, 2


class NoBatchStatistics(nn.Module):
    """Conv → ReLU → mean over the valid frames → Linear: no BatchNorm and no dependence on the
    padding, so splitting a batch changes nothing."""

    def __init__(self, in_dim=80, channels=16, embed_dim=8):
        super().__init__()
        self.embed_dim = embed_dim
        self.conv = nn.Conv1d(in_dim, channels, 3, padding=1)
        self.out = nn.Linear(channels, embed_dim)

    def forward(self, x, lengths=None):
        h = torch.relu(self.conv(x))
        if lengths is None:
            return self.out(h.mean(-1))
        mask = (torch.arange(h.shape[-1])[None, :] < lengths[:, None]).unsqueeze(1)
        return self.out((h * mask).sum(-1) / lengths[:, None])


def config(batch_size):
    return train.TrainConfig(steps=STEPS, batch_size=batch_size, lr=1e-2, device="cpu", head="add_margin",
                             checkpoint_every=2, threads=1)


def run(batch_size, checkpoint=None, log_dir=None):
    from tests.toys import ToyChunks, toy_collate

    torch.manual_seed(0)
    model = NoBatchStatistics()
    result = train.fit(config(batch_size), progress=False, dataset=ToyChunks(speakers=4, per_speaker=6),
                       collate_fn=toy_collate, model=model, checkpoint=checkpoint, log_dir=log_dir)
    return {**{f"model.{k}": v for k, v in result.model.state_dict().items()},
            **{f"head.{k}": v for k, v in result.head.state_dict().items()}}


def worker(rank, world, port, folder):
    import os

    import torch.distributed as dist

    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), LOCAL_RANK=str(rank),
                      WORLD_SIZE=str(world))
    own = folder / f"rank{rank}"  # each process is told its own paths: only rank 0's may fill
    weights = run(BATCH, checkpoint=own / "run.pt", log_dir=own / "logs")
    torch.save(weights, folder / f"weights{rank}.pt")
    dist.destroy_process_group()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_two_processes_at_batch_b_equal_one_process_at_batch_2b(tmp_path):
    mp.spawn(worker, args=(2, free_port(), tmp_path), nprocs=2, join=True)
    single = run(2 * BATCH)
    for rank in (0, 1):
        parallel = torch.load(tmp_path / f"weights{rank}.pt")
        assert parallel.keys() == single.keys()
        for name in single:
            torch.testing.assert_close(parallel[name], single[name], rtol=0, atol=1e-6, msg=name)
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert [p for p in written if p.startswith("rank")] == ["rank0/logs/config.json", "rank0/logs/history.json",
                                                           "rank0/logs/log.csv", "rank0/run.pt"]


def test_batches_of_the_processes_tile_the_global_batch():
    from course.train.builders import batch_stream
    from tests.toys import ToyChunks

    data = ToyChunks(speakers=4, per_speaker=6)
    collate = lambda batch: [label for _, label in batch]  # noqa: E731 - labels are enough here
    single = batch_stream(data, config(4), collate)
    ranks = [batch_stream(data, config(2), collate, rank=r, world=2) for r in (0, 1)]
    for _ in range(8):  # across an epoch boundary (6 global batches an epoch)
        assert next(single) == next(ranks[0]) + next(ranks[1])


@pytest.mark.skipif(not torch.distributed.is_available(), reason="torch built without distributed")
def test_a_single_process_needs_no_process_group(monkeypatch):
    from course.train import distributed

    monkeypatch.delenv("WORLD_SIZE", raising=False)
    context = distributed.setup("cpu")
    assert context.main and not context.active and not torch.distributed.is_initialized()
