"""Command line: ``python -m fastnn {config,demo,bench,plot-activations} ...``."""
import importlib
import sys

# Each subcommand lives in its own module with a main(argv) function.
COMMANDS = {
    "config": ("fastnn._config", "main"),
    "demo": ("fastnn.demo", "main"),
    "bench": ("fastnn.bench", "main"),
    "plot-activations": ("fastnn.plots", "plot_activations_main"),
}


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in COMMANDS:
        print("usage: python -m fastnn {" + ",".join(COMMANDS) + "} [options]\n"
              "  config            print build and run-time configuration\n"
              "  demo              train a 64-64-10 network on the digits\n"
              "  bench             benchmark fastnn against NumPy (and PyTorch)\n"
              "  plot-activations  draw the activations and their derivatives",
              file=sys.stderr if argv and argv[0] not in ("-h", "--help") else sys.stdout)
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    module, func = COMMANDS[argv[0]]
    return getattr(importlib.import_module(module), func)(argv[1:]) or 0


if __name__ == "__main__":
    sys.exit(main())
