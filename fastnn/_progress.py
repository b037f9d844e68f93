"""The per-epoch progress display of Network.fit."""
from typing import Any


class Progress:
    """tqdm bar over epochs when verbose and tqdm is installed; else a line
    per epoch when verbose; else nothing."""

    def __init__(self, epochs: int, verbose: bool) -> None:
        self.bar: Any = None
        self.verbose = verbose
        self.epochs = epochs
        if verbose:
            try:
                from tqdm.auto import tqdm  # type: ignore[import-untyped]
            except ImportError:
                return
            self.bar = tqdm(total=epochs, unit="epoch", leave=True)

    def update(self, epoch: int, metrics: dict[str, float], seconds: float) -> None:
        if not self.verbose:
            return
        short = {"loss": "loss", "accuracy": "acc", "val_loss": "val_loss",
                 "val_accuracy": "val_acc"}
        shown = {short[k]: f"{v:.4f}" for k, v in metrics.items()}
        shown["ms/epoch"] = f"{1e3 * seconds:.2f}"
        if self.bar is not None:
            self.bar.set_postfix(shown, refresh=False)
            self.bar.set_description(f"epoch {epoch}")
            self.bar.update(1)
        else:
            print(f"epoch {epoch}: " + ", ".join(f"{k} {v}" for k, v in shown.items()),
                  flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
