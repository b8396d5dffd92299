"""The skeleton every explorer shares: named controls, one redraw per change, ``set()`` from code.

A subclass builds ``self.controls`` (name → ipywidget) and ``self.widget`` (what is displayed),
calls ``self.watch()``, and writes ``redraw()`` (decorated with ``off_pyplot_redraw`` when it draws)
and, when moving one control must adjust others first, ``changed(change)``.
"""

from __future__ import annotations

from IPython.display import display


class Explorer:
    controls: dict
    widget = None
    _hold = False  # True while several controls change at once (``set``) or one is adjusted in code

    def watch(self) -> None:
        """Redraw whenever a control's value changes (call once the controls exist)."""
        for control in self.controls.values():
            control.observe(self._on_change, names="value")

    def changed(self, change) -> None:
        """Before the redraw: adjust other controls after ``change`` (by default nothing)."""

    def _on_change(self, change) -> None:
        if self._hold:
            return
        self._hold = True
        try:
            self.changed(change)
        finally:
            self._hold = False
        self.redraw()

    def set(self, **values) -> None:
        """Set several controls at once and redraw once: ``set(head="add_margin", m=0.3)``; each is applied
        in the order given, with what moving it by hand adjusts (``changed``)."""
        unknown = set(values) - set(self.controls)
        if unknown:
            raise ValueError(f"unknown control(s) {sorted(unknown)}; controls: {list(self.controls)}")
        self._hold = True
        try:
            for name, value in values.items():
                control = self.controls[name]
                old, control.value = control.value, value
                self.changed({"owner": control, "name": "value", "old": old, "new": control.value})
        finally:
            self._hold = False
        self.redraw()

    def values(self) -> dict:
        return {name: control.value for name, control in self.controls.items()}

    def _ipython_display_(self):
        display(self.widget)
