"""The SAC policy's display rules, written out again for the end-to-end tests' independent computations."""


def rounded(count: int) -> str:
    """A count as the SAC policy shows it: to the nearest 5, half up (hidden counts are not asked for)."""
    return f"{int(count / 5 + 0.5) * 5:,}"


def shown_pct(numerator: int, denominator: int) -> str:
    """The SAC policy's percentage: whole per cent, half up, of the two counts as shown (each rounded to 5).

    ``[c]`` when either count is under 5, the shown denominator under 20, or the share 0% or 100% of under 100.
    """
    if numerator < 5 or denominator < 5:
        return "[c]"
    top, bottom = (int(n / 5 + 0.5) * 5 for n in (numerator, denominator))
    value = int(100 * top / bottom + 0.5)
    return "[c]" if bottom < 20 or (value in (0, 100) and bottom < 100) else f"{value}%"
