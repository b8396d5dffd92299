"""The threshold lab: move a threshold and see the false accepts and rejects, the point on the DET curve
and the actual against the minimum DCF; move the prior and see where a calibrated system's Bayes
threshold goes (an uncalibrated cosine has no such threshold: it does not know the prior)."""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from course import metrics
from course.calibration import actual_dcf, bayes_threshold
from course.viz.decision import operating_point, plot_operating_point
from course.widgets.base import Explorer
from course.widgets.output import off_pyplot_redraw, show_figure


class ThresholdLab(Explorer):
    """``systems`` maps a name to (scores, labels, calibration or None); ``controls`` can be set from code
    (``set(threshold=0.4)``), ``last_plotted`` holds the operating point drawn, ``report`` its text."""

    def __init__(self, systems: dict):
        if not systems:
            raise ValueError("systems: give at least one (scores, labels, calibration) triple")
        self.systems = systems
        style = {"description_width": "initial"}
        first = next(iter(systems.values()))
        self.controls = {
            "system": widgets.Dropdown(options=list(systems), description="system", style=style),
            "threshold": widgets.FloatSlider(description="threshold (score)", continuous_update=False, style=style,
                                             readout_format=".3f", layout=widgets.Layout(width="420px")),
            "p_target": widgets.FloatLogSlider(value=0.01, base=10, min=-3, max=np.log10(0.5), step=0.05,
                                               description="P_target", continuous_update=False, style=style),
        }
        self._range(first[0])
        self.output, self.text = widgets.Output(), widgets.HTML()
        self.last_plotted: dict = {}
        self.report = ""
        self.watch()
        self.widget = widgets.VBox([widgets.HBox([self.controls["system"], self.controls["p_target"]]),
                                    self.controls["threshold"], self.text, self.output])
        self.redraw()

    def _range(self, scores) -> None:
        s = np.asarray(scores, dtype=float)
        slider = self.controls["threshold"]
        slider.min, slider.max = -1e9, 1e9  # widen first: min > max is refused on the way
        slider.min, slider.max = float(s.min()), float(s.max())
        slider.step = (slider.max - slider.min) / 200 or 0.01
        slider.value = float(np.median(s))

    def changed(self, change) -> None:
        if change["owner"] is self.controls["system"]:  # another system: its own score range
            self._range(self.systems[change["new"]][0])

    @off_pyplot_redraw
    def redraw(self) -> None:
        name = self.controls["system"].value
        scores, labels, calibration = self.systems[name]
        p, threshold = self.controls["p_target"].value, self.controls["threshold"].value
        point = operating_point(scores, labels, threshold)
        act, best = actual_dcf(scores, labels, threshold, p), metrics.min_dcf(scores, labels, p)
        lines = [f"<b>{name}</b> at threshold {threshold:.3f}: {point['false_accepts']} false accepts of "
                 f"{point['nontargets']} non-targets ({100 * point['p_fa']:.2f}%), {point['false_rejects']} false "
                 f"rejects of {point['targets']} targets ({100 * point['p_miss']:.2f}%)",
                 f"at P_target = {p:.3g}: actual DCF {act:.3f}, minimum DCF {best:.3f} "
                 "(the best threshold in hindsight)"]
        bayes = None
        if calibration is not None:
            llr_threshold = bayes_threshold(p)
            bayes = (llr_threshold - calibration.b) / calibration.a  # the score whose LLR is the Bayes threshold
            bayes_dcf = actual_dcf(scores, labels, bayes, p)
            lines.append(f"calibrated: accept when LLR ≥ {llr_threshold:.2f}, i.e. score ≥ {bayes:.3f}; its actual "
                         f"DCF {bayes_dcf:.3f}")
        else:
            lines.append("uncalibrated: a raw score has no threshold that follows the prior")
        self.report = "\n".join(lines).replace("<b>", "").replace("</b>", "")
        self.text.value = "<br>".join(lines)
        self.last_plotted = {**point, "actual_dcf": act, "min_dcf": best, "bayes_threshold": bayes}
        fig = plot_operating_point(scores, labels, point, name, title=f"P_target = {p:.3g}")
        if bayes is not None:
            fig.axes[0].axvline(bayes, color="crimson", lw=1.5, label="Bayes threshold (calibrated)")
            fig.axes[0].legend(fontsize=8)
        self.figure = fig
        show_figure(self.output, fig)


def threshold_lab(systems: dict) -> ThresholdLab:
    """Build and return the lab (display it by leaving it last in a cell)."""
    return ThresholdLab(systems)
