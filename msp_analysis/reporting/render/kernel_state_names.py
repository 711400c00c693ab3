"""Names the batch's engine and the kernel-side helpers share (imported on both sides, so nothing heavy here)."""

# the one display a report's cells send at the end: every cell's outputs ({"ran": cells run, "outputs": [[...], ...]})
OUTPUTS_BUNDLE = "application/x-msp-outputs"
