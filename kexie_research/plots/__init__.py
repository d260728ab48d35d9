"""Plotting: one style, one save function, plot functions that take results.

Plot functions never compute: they take result objects from the analysis modules and
return a matplotlib ``Axes`` or ``Figure``. Import this subpackage explicitly; the package
root never imports matplotlib.
"""

from .style import (COLORS, DOUBLE_COLUMN_IN, SINGLE_COLUMN_IN, figure, label, new_axes, save_figure, tag_figure,
                    use_style)

__all__ = ["COLORS", "SINGLE_COLUMN_IN", "DOUBLE_COLUMN_IN", "figure", "label", "save_figure",
           "use_style", "tag_figure", "new_axes"]
