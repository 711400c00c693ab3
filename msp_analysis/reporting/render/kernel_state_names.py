"""Names the batch's engine and the kernel-side helpers share (imported on both sides, so nothing heavy here)."""

CELL_MARKER = "application/x-msp-cell"  # a display the kernel sends before each cell's outputs; never kept
