"""Ramp a head's margin from an initial to a final value, as WeSpeaker's
``MarginScheduler`` does: hold ``initial`` until ``start``, increase until
``stop`` (linearly, or exponentially fast at first), then hold ``final``.

A large margin from step 0 can stall training (every class looks wrong); the
ramp lets plain cosine classification settle first. Steps count optimiser steps.
"""

from __future__ import annotations

import math


class MarginScheduler:
    """Calls ``head.update(margin)`` on each ``step()``.

    The exponential ramp is WeSpeaker's: ratio = 1 − exp(log(1e-3) · progress),
    reaching 99.9 % of the way at ``stop``.

    Example:
        >>> from course.heads import AddMarginHead
        >>> head = AddMarginHead(embed_dim=4, num_classes=3)
        >>> ramp = MarginScheduler(head, initial=0.0, final=0.2, start=0, stop=4, kind="linear")
        >>> [round(ramp.step(), 3) for _ in range(5)], head.margin
        ([0.05, 0.1, 0.15, 0.2, 0.2], 0.2)
    """

    KINDS = ("linear", "exp")

    def __init__(self, head, initial: float = 0.0, final: float = 0.2, start: int = 0, stop: int = 1000,
                 kind: str = "exp"):
        if kind not in self.KINDS:
            raise ValueError(f"kind: expected one of {self.KINDS}, got {kind!r}")
        if stop < start:
            raise ValueError(f"stop ({stop}) must not come before start ({start})")
        self.head, self.initial, self.final = head, float(initial), float(final)
        self.start, self.stop, self.kind = int(start), int(stop), kind
        self.current = 0
        # Let the head refuse a margin it cannot take (the plain softmax: any m > 0; A-softmax:
        # a fractional m) now, not thousands of steps into training.
        for step in (self.stop, (self.start + self.stop) // 2 + 1, 0):
            self.head.update(self.margin_at(step))

    def margin_at(self, step: int) -> float:
        """The margin in effect at ``step``."""
        if step <= self.start:
            return self.initial
        if step >= self.stop:
            return self.final
        progress = (step - self.start) / (self.stop - self.start)
        if self.kind == "linear":
            ratio = progress
        else:
            ratio = 1.0 - math.exp(progress * math.log(1e-3))
        return self.initial + (self.final - self.initial) * ratio

    def step(self) -> float:
        """Advance one step, update the head, return the new margin."""
        self.current += 1
        margin = self.margin_at(self.current)
        self.head.update(margin)
        return margin

    def state_dict(self) -> dict:
        return {"current": self.current}

    def load_state_dict(self, state: dict) -> None:
        self.current = int(state["current"])
        self.head.update(self.margin_at(self.current))
