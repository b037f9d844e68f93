"""fastnn.plots (``python -m fastnn plot-activations``): curves from the kernels."""
import numpy as np
import pytest

from fastnn.__main__ import main
from fastnn.plots import PANELS, activation_curves, break_jumps

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_plot_activations_is_written(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    path = tmp_path / "act.png"
    assert main(["plot-activations", str(path)]) == 0
    assert path.read_bytes().startswith(PNG_SIGNATURE)
    assert f"Wrote {path}" in capsys.readouterr().out


def test_activation_curves_come_from_the_kernels():
    x = np.linspace(-5, 5, 11)
    for name, _, params in PANELS:
        y, dy = activation_curves(name, x, **params)
        assert y.shape == dy.shape == x.shape and np.all(np.isfinite(y))
    y, dy = activation_curves("relu", np.array([-1.0, 0.0, 2.0]))
    np.testing.assert_array_equal(dy, [0.0, 1.0, 1.0])        # f'(0) = 1 by convention
    xs, ys = break_jumps(np.array([-1.0, -0.5, 0.5, 1.0]), np.array([0.0, 0.0, 1.0, 1.0]))
    assert np.isnan(ys[2]) and np.isnan(xs[2]) and len(ys) == 5
