# SPDX-License-Identifier: GPL-3.0-or-later
"""The Markdown result table both benchmarks print."""


def print_table(header, rows):
    """Prints rows of strings (as many as header, the last the result) under
    header, columns padded; returns the
    exit status: 1 when a metric could not be measured."""
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]

    def line(r):
        return "| " + " | ".join(c.ljust(widths[i]) for i, c in enumerate(r)) + " |"

    print(line(header))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print(line(r))
    return 1 if any(r[-1] == "NOT MEASURED" for r in rows) else 0
