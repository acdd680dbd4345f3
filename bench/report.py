"""The results table: median and min..max per figure and server, and the ratio of each to the last (the peer)."""

from __future__ import annotations

from collections.abc import Sequence

from bench.workloads import FigureSpec, Results


def number(value: float) -> str:
    """A figure with as many digits as it deserves (thousands separated)."""
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:,.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    if magnitude >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def ratio(ours: float, peer: float) -> str:
    """ours / peer, as `14.1x`."""
    if peer == 0:
        return "-"
    value = ours / peer
    return f"{value:.1f}x" if value >= 10 else f"{value:.2f}x"


def _cell(results: Results, key: str) -> tuple[str, str]:
    values = results.samples.get(key)
    if not values:
        return "-", ""
    median = results.median(key)
    assert median is not None
    spread = "" if len(values) == 1 else f"{number(min(values))}..{number(max(values))}"
    return number(median), spread


def table(specs: Sequence[FigureSpec], runs: Sequence[Results]) -> str:
    """The results of the servers as a text table; with several, the ratio of each but the last to the last."""
    headers = ["workload"]
    for results in runs:
        headers += [f"{results.label} (median)", "min..max"]
    compared = runs[:-1] if len(runs) >= 2 else []
    headers += ["ratio"] if len(runs) == 2 else [f"ratio {results.label}" for results in compared]
    rows: list[list[str]] = []
    for spec in specs:
        if not any(results.samples.get(spec.key) for results in runs):
            continue
        row = [spec.label]
        for results in runs:
            row += list(_cell(results, spec.key))
        last = runs[-1].median(spec.key)
        for results in compared:
            first = results.median(spec.key)
            row.append(ratio(first, last) if first is not None and last is not None else "-")
        rows.append(row)
    widths = [max(len(line[i]) for line in [headers, *rows]) for i in range(len(headers))]
    lines = []
    for line in [headers, *rows]:
        cells = [line[0].ljust(widths[0])] + [
            cell.rjust(width) for cell, width in zip(line[1:], widths[1:], strict=True)
        ]
        lines.append("   ".join(cells).rstrip())
    return "\n".join(lines)


def client_cpu_line(results: Results) -> str:
    """How busy the benchmark's own client was during the single-client heartbeats."""
    parts = []
    for key, name in (("hb_merge_raw_client_cpu", "raw"), ("hb_merge_httpclient_client_cpu", "http.client")):
        share = results.median(key)
        if share is not None:
            parts.append(f"{name} {share:.0%}")
    if not parts:
        return ""
    return f"{results.label}: client CPU during merge heartbeats (share of wall time): " + ", ".join(parts)


def footer(runs: Sequence[Results]) -> str:
    """Legend, client load, notes and errors under the table."""
    lines = []
    if len(runs) >= 2:
        lines.append(
            f"ratio = {' or '.join(r.label for r in runs[:-1])} / {runs[-1].label}: above 1x is better for "
            "rates (/s), below 1x is better for seconds and MB."
        )
    for results in runs:
        sizes = results.sizes
        lines.append(
            f"{results.label} ({results.version}, {results.url}): {sizes.heartbeats:,} heartbeats per run, "
            f"{sizes.clients}x{sizes.client_heartbeats:,} concurrent, {sizes.bulk_events:,} bulk events, "
            f"{sizes.get_events:,} events per GET; {sizes.repeat} runs ({sizes.bulk_repeat} for bulk)."
        )
        cpu = client_cpu_line(results)
        if cpu:
            lines.append(cpu)
        lines += [f"note, {results.label}: {note}" for note in results.notes]
        lines += [f"ERROR, {results.label}, {name}: {error}" for name, error in results.errors.items()]
    return "\n".join(lines)
