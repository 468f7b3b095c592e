"""Matplotlib for claim figures: imported lazily, on the non-interactive Agg backend."""


def pyplot():
    """``matplotlib.pyplot`` with the Agg backend selected (unless a backend was already chosen)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt
